package docker

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// peer is a source of traffic in the NetworkPolicy model: a pod (with its
// namespace's labels) or an address outside the cluster (podLabels nil).
type peer struct {
	name      string
	namespace string
	nsLabels  map[string]string
	podLabels map[string]string
	ip        net.IP
}

// target is a pod the policies protect.
type target struct {
	name      string
	namespace string
	labels    map[string]string
	container corev1.Container
}

func selectorMatches(sel *metav1.LabelSelector, set map[string]string) (bool, error) {
	if sel == nil {
		return false, nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	return s.Matches(labels.Set(set)), nil
}

// peerMatches reports whether one NetworkPolicyPeer of a policy in
// policyNS admits p (Kubernetes semantics: podSelector alone means pods in
// the policy's namespace; with a namespaceSelector, pods in the selected
// namespaces; ipBlock matches addresses).
func peerMatches(np networkingv1.NetworkPolicyPeer, policyNS string, p peer) (bool, error) {
	if np.IPBlock != nil {
		_, cidr, err := net.ParseCIDR(np.IPBlock.CIDR)
		if err != nil {
			return false, err
		}
		if !cidr.Contains(p.ip) {
			return false, nil
		}
		for _, e := range np.IPBlock.Except {
			_, ex, err := net.ParseCIDR(e)
			if err != nil {
				return false, err
			}
			if ex.Contains(p.ip) {
				return false, nil
			}
		}
		return true, nil
	}
	if p.podLabels == nil {
		return false, nil // selectors match pods only
	}
	if np.NamespaceSelector != nil {
		ok, err := selectorMatches(np.NamespaceSelector, p.nsLabels)
		if err != nil || !ok {
			return false, err
		}
	} else if p.namespace != policyNS {
		return false, nil
	}
	if np.PodSelector != nil {
		return selectorMatches(np.PodSelector, p.podLabels)
	}
	return true, nil
}

func portMatches(pp networkingv1.NetworkPolicyPort, c corev1.Container, port int32) bool {
	if pp.Protocol != nil && *pp.Protocol != corev1.ProtocolTCP {
		return false
	}
	if pp.Port == nil {
		return true
	}
	want, ok := resolvePort(c, *pp.Port)
	if !ok {
		return false
	}
	if pp.EndPort != nil {
		return port >= want && port <= *pp.EndPort
	}
	return port == want
}

// admits evaluates the policies for TCP traffic from p to port on t. isolated
// is false when no policy selects t (then everything is admitted).
func admits(policies []networkingv1.NetworkPolicy, t target, p peer, port int32) (allowed, isolated bool, err error) {
	for _, pol := range policies {
		if pol.Namespace != t.namespace {
			continue
		}
		sel, err := selectorMatches(&pol.Spec.PodSelector, t.labels)
		if err != nil {
			return false, false, err
		}
		ingress := len(pol.Spec.PolicyTypes) == 0 || slices.Contains(pol.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		if !sel || !ingress {
			continue
		}
		isolated = true
		for _, rule := range pol.Spec.Ingress {
			portOK := len(rule.Ports) == 0
			for _, pp := range rule.Ports {
				portOK = portOK || portMatches(pp, t.container, port)
			}
			if !portOK {
				continue
			}
			if len(rule.From) == 0 {
				return true, true, nil
			}
			for _, from := range rule.From {
				ok, err := peerMatches(from, pol.Namespace, p)
				if err != nil {
					return false, true, err
				}
				if ok {
					return true, true, nil
				}
			}
		}
	}
	return !isolated, isolated, nil
}

// admittedTable lists "target:port <- peer" for every admitted pair.
func admittedTable(policies []networkingv1.NetworkPolicy, targets []target, peers []peer, ports []int32) ([]string, error) {
	var out []string
	for _, t := range targets {
		for _, port := range ports {
			for _, p := range peers {
				ok, isolated, err := admits(policies, t, p, port)
				if err != nil {
					return nil, err
				}
				if !isolated {
					return nil, fmt.Errorf("no NetworkPolicy selects the %s pods", t.name)
				}
				if ok {
					out = append(out, fmt.Sprintf("%s:%d <- %s", t.name, port, p.name))
				}
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func TestAdmitsSemantics(t *testing.T) {
	tcp := corev1.ProtocolTCP
	udp := corev1.ProtocolUDP
	port := func(n int) *intstr.IntOrString { v := intstr.FromInt(n); return &v }
	end := int32(2090)
	app := map[string]string{"app": "x"}
	tgt := target{name: "x", namespace: "ns", labels: app, container: corev1.Container{Ports: []corev1.ContainerPort{{Name: "rpc", ContainerPort: 2088}}}}
	pod := peer{name: "pod", namespace: "ns", nsLabels: map[string]string{"kubernetes.io/metadata.name": "ns"}, podLabels: map[string]string{"role": "a"}, ip: net.ParseIP("10.0.0.5")}
	otherNS := peer{name: "other", namespace: "o", nsLabels: map[string]string{"kubernetes.io/metadata.name": "o"}, podLabels: map[string]string{"role": "a"}, ip: net.ParseIP("10.0.1.5")}
	outside := peer{name: "out", ip: net.ParseIP("203.0.113.9")}
	pol := func(rules ...networkingv1.NetworkPolicyIngressRule) []networkingv1.NetworkPolicy {
		return []networkingv1.NetworkPolicy{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns"},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: app},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}, Ingress: rules},
		}}
	}
	roleA := &metav1.LabelSelector{MatchLabels: map[string]string{"role": "a"}}
	named := intstr.FromString("rpc")
	cases := []struct {
		name     string
		policies []networkingv1.NetworkPolicy
		peer     peer
		port     int32
		want     bool
	}{
		{"no policy selects: open", nil, outside, 1, true},
		{"isolated with no rules", pol(), pod, 2088, false},
		{"podSelector: same namespace", pol(networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: roleA}}}), pod, 1, true},
		{"podSelector: not another namespace", pol(networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{PodSelector: roleA}}}), otherNS, 1, false},
		{"namespaceSelector", pol(networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "o"}}}}}), otherNS, 1, true},
		{"selectors never match outside", pol(networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}}), outside, 1, false},
		{"ipBlock", pol(networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "203.0.113.0/24"}}}}), outside, 1, true},
		{"ipBlock except", pol(networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"203.0.113.0/24"}}}}}), outside, 1, false},
		{"port match", pol(networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: port(2088)}}}), outside, 2088, true},
		{"port mismatch", pol(networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: port(2088)}}}), outside, 2089, false},
		{"UDP rule does not admit TCP", pol(networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: port(2088)}}}), outside, 2088, false},
		{"port range", pol(networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: port(2088), EndPort: &end}}}), outside, 2090, true},
		{"named port", pol(networkingv1.NetworkPolicyIngressRule{Ports: []networkingv1.NetworkPolicyPort{{Port: &named}}}), outside, 2088, true},
	}
	for _, c := range cases {
		got, _, err := admits(c.policies, tgt, c.peer, c.port)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: admitted %v, want %v", c.name, got, c.want)
		}
	}
}

// TestNetworkPolicies asserts that the rendered policies admit exactly the
// traffic Otter needs: 1099 from the nodes, the node ports from the manager
// and the nodes, 9779 from the monitoring namespace, the manager's web port
// from no one (port-forward bypasses policies), with the NodePort component
// the exposed node ports from anywhere, and in dev MariaDB from the manager,
// the nodes and the registrar Job, ZooKeeper from the manager and the nodes.
func TestNetworkPolicies(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			r := render(t, v.dir)
			manager := r.deployments[0].Spec.Template
			node := r.node(t).Spec.Template
			nsLabels := map[string]string{"kubernetes.io/metadata.name": v.namespace}
			peers := []peer{
				{name: "manager", namespace: v.namespace, nsLabels: nsLabels, podLabels: manager.Labels, ip: net.ParseIP("10.244.0.10")},
				{name: "node", namespace: v.namespace, nsLabels: nsLabels, podLabels: node.Labels, ip: net.ParseIP("10.244.0.11")},
				{name: "other-pod", namespace: v.namespace, nsLabels: nsLabels, podLabels: map[string]string{"app.kubernetes.io/name": "mysql"}, ip: net.ParseIP("10.244.0.12")},
				{name: "monitoring", namespace: monitoringNS, nsLabels: map[string]string{"kubernetes.io/metadata.name": monitoringNS}, podLabels: map[string]string{"app.kubernetes.io/name": "prometheus"}, ip: net.ParseIP("10.244.1.10")},
				{name: "other-namespace", namespace: "default", nsLabels: map[string]string{"kubernetes.io/metadata.name": "default"}, podLabels: node.Labels, ip: net.ParseIP("10.244.2.10")},
				{name: "outside", ip: net.ParseIP("203.0.113.7")},
			}
			targets := []target{
				{name: "manager", namespace: v.namespace, labels: manager.Labels, container: manager.Spec.Containers[0]},
				{name: "node", namespace: v.namespace, labels: node.Labels, container: node.Spec.Containers[0]},
			}
			if v.dev {
				// The development MariaDB and ZooKeeper, and the Job that
				// creates the registrar account.
				for _, name := range []string{"mysql", "zookeeper"} {
					pod := r.statefulSet(t, name).Spec.Template
					targets = append(targets, target{name: name, namespace: v.namespace, labels: pod.Labels, container: pod.Spec.Containers[0]})
				}
				if len(r.jobs) != 1 {
					t.Fatalf("%d Jobs, want the registrar setup", len(r.jobs))
				}
				peers = append(peers, peer{name: "registrar-setup", namespace: v.namespace, nsLabels: nsLabels, podLabels: r.jobs[0].Spec.Template.Labels, ip: net.ParseIP("10.244.0.13")})
			}
			ports := []int32{22, 2181, 3306, 8080, 1099, 2088, 2089, 2090, 9779, 31088, 31089, 31090, 31188, 31189, 31190}
			got, err := admittedTable(r.policies, targets, peers, ports)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"manager:1099 <- node",
				"manager:9779 <- monitoring",
				"node:9779 <- monitoring",
			}
			for _, p := range []int32{2088, 2089, 2090} {
				want = append(want, fmt.Sprintf("node:%d <- manager", p), fmt.Sprintf("node:%d <- node", p))
			}
			if v.dev {
				want = append(want, "mysql:3306 <- manager", "mysql:3306 <- node", "mysql:3306 <- registrar-setup",
					"zookeeper:2181 <- manager", "zookeeper:2181 <- node")
			}
			if v.nodePort {
				for _, p := range []int32{31088, 31089, 31090, 31188, 31189, 31190} {
					for _, src := range peers {
						want = append(want, fmt.Sprintf("node:%d <- %s", p, src.name))
					}
				}
			}
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("admitted traffic differs\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
			}
		})
	}
}
