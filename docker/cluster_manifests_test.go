package docker

import (
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"otter-entrypoint/propsfile"
)

// properties parses one key of the otter-config ConfigMap.
func properties(t *testing.T, r *rendered, key string) map[string]string {
	t.Helper()
	for _, cm := range r.configMaps {
		if text, ok := cm.Data[key]; ok {
			f, err := propsfile.Parse([]byte(text))
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			return f.Map()
		}
	}
	t.Fatalf("no ConfigMap has %s", key)
	return nil
}

// jdbcHost is host:port of a jdbc:mysql:// URL.
func jdbcHost(t *testing.T, jdbc string) string {
	t.Helper()
	u, err := url.Parse(strings.TrimPrefix(jdbc, "jdbc:"))
	if err != nil || u.Scheme != "mysql" {
		t.Fatalf("%q is not a jdbc:mysql URL: %v", jdbc, err)
	}
	return u.Host
}

// TestEveryContainerHasResources: every container of every pod template
// (Otter's, the development MariaDB and ZooKeeper, the Job) requests CPU,
// memory and ephemeral storage and is limited in memory and ephemeral
// storage.
func TestEveryContainerHasResources(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			r := render(t, v.dir)
			for owner, pod := range r.podTemplates() {
				for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
					for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
						if _, ok := c.Resources.Requests[res]; !ok {
							t.Errorf("%s container %s: no %s request", owner, c.Name, res)
						}
					}
					for _, res := range []corev1.ResourceName{corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
						if _, ok := c.Resources.Limits[res]; !ok {
							t.Errorf("%s container %s: no %s limit", owner, c.Name, res)
						}
					}
					if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
						sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
						t.Errorf("%s container %s: want readOnlyRootFilesystem and no privilege escalation", owner, c.Name)
					}
				}
				if psc := pod.Spec.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
					t.Errorf("%s: pods must run as non-root", owner)
				}
			}
		})
	}
}

// TestDevStack: the dev overlay is a working cluster on its own: MariaDB
// and ZooKeeper from their public images behind the Services the manager's
// properties and the nodes' registration name, the manager creating the
// schema, the nodes registering with the registrar account the Job creates.
func TestDevStack(t *testing.T) {
	for _, v := range variants(t) {
		if !v.dev {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			r := render(t, v.dir)
			images := map[string]string{}
			for _, name := range []string{"mysql", "zookeeper"} {
				s := r.statefulSet(t, name)
				if s.Spec.Replicas == nil || *s.Spec.Replicas != 1 {
					t.Errorf("%s: want one replica", name)
				}
				images[name] = s.Spec.Template.Spec.Containers[0].Image
				if svc := r.service(name); svc == nil || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(s.Spec.Template.Labels)) {
					t.Errorf("no Service %s selecting its pods", name)
				}
			}
			if !strings.HasPrefix(images["mysql"], "mariadb:") || !strings.HasPrefix(images["zookeeper"], "zookeeper:") {
				t.Errorf("images %v, want the public mariadb and zookeeper images", images)
			}

			ns := v.namespace
			mp := properties(t, r, "manager.properties")
			if h := jdbcHost(t, mp["otter.database.driver.url"]); h != "mysql."+ns+":3306" && h != "mysql:3306" {
				t.Errorf("manager database %s is not the dev MariaDB", h)
			}
			if zk := mp["otter.zookeeper.cluster.default"]; zk != "zookeeper."+ns+":2181" && zk != "zookeeper:2181" {
				t.Errorf("manager ZooKeeper %s is not the dev ZooKeeper", zk)
			}
			manager := r.deployments[0].Spec.Template.Spec.Containers[0]
			if v, _ := envValue(manager, "OTTER_DB_INIT"); v != "on" {
				t.Errorf("manager OTTER_DB_INIT=%q, want on", v)
			}
			node := r.node(t).Spec.Template.Spec.Containers[0]
			if v, _ := envValue(node, "OTTER_REGISTER"); v != "on" {
				t.Errorf("node OTTER_REGISTER=%q, want on", v)
			}
			regURL, _ := envValue(node, "OTTER_REGISTER_URL")
			if jdbcHost(t, regURL) != jdbcHost(t, mp["otter.database.driver.url"]) || !strings.HasSuffix(strings.SplitN(regURL, "?", 2)[0], "/otter") {
				t.Errorf("OTTER_REGISTER_URL %s is not the manager's database %s", regURL, mp["otter.database.driver.url"])
			}

			// MariaDB creates the manager's account from the same Secret
			// the manager reads.
			mysql := r.statefulSet(t, "mysql").Spec.Template.Spec
			managerSecret := secretOf(t, r.deployments[0].Spec.Template.Spec, manager, "OTTER_DATABASE_DRIVER_PASSWORD_FILE")
			if got := secretOf(t, mysql, mysql.Containers[0], "MARIADB_PASSWORD_FILE"); got != managerSecret {
				t.Errorf("MariaDB's MARIADB_PASSWORD_FILE is Secret %s, the manager's password Secret %s", got, managerSecret)
			}
			if u, _ := envValue(mysql.Containers[0], "MARIADB_USER"); u != mp["otter.database.driver.username"] {
				t.Errorf("MARIADB_USER %q, the manager logs in as %q", u, mp["otter.database.driver.username"])
			}

			// The registrar Job uses the nodes' Secret and README's grants.
			job := r.jobs[0]
			jc := job.Spec.Template.Spec.Containers[0]
			nodeSecret := secretOf(t, r.node(t).Spec.Template.Spec, node, "OTTER_REGISTER_PASSWORD_FILE")
			found := false
			for _, vol := range job.Spec.Template.Spec.Volumes {
				found = found || (vol.Secret != nil && vol.Secret.SecretName == nodeSecret)
			}
			if !found {
				t.Errorf("the registrar Job does not mount the nodes' Secret %s", nodeSecret)
			}
			user, _ := envValue(node, "OTTER_REGISTER_USERNAME")
			script := strings.ReplaceAll(strings.Join(jc.Command, "\n"), "\\`", "`")
			grants := readmeGrants(t)
			for _, g := range grants {
				if !strings.Contains(script, g) {
					t.Errorf("the registrar Job lacks README's %q", g)
				}
				if !strings.Contains(g, "'"+user+"'@") {
					t.Errorf("README's grant %q is not for OTTER_REGISTER_USERNAME %s", g, user)
				}
			}
			if n := strings.Count(script, "GRANT "); n != len(grants) {
				t.Errorf("the registrar Job has %d GRANTs, README %d", n, len(grants))
			}
		})
	}
}

// secretOf is the Secret behind a *_FILE setting of c.
func secretOf(t *testing.T, spec corev1.PodSpec, c corev1.Container, setting string) string {
	t.Helper()
	p, ok := envValue(c, setting)
	if !ok {
		t.Fatalf("container %s has no %s", c.Name, setting)
	}
	m, ok := mountFor(c, p)
	vol, _ := volumeByName(spec, m.Name)
	if !ok || vol.Secret == nil {
		t.Fatalf("container %s: %s=%s is not in a Secret volume", c.Name, setting, p)
	}
	return vol.Secret.SecretName
}

// readmeGrants are the GRANT statements of README.md's registrar account.
func readmeGrants(t *testing.T) []string {
	t.Helper()
	b := readFile(t, filepath.Join(repoRoot(t), "README.md"))
	g := regexp.MustCompile("(?m)^GRANT [^\n]*;$").FindAllString(string(b), -1)
	if len(g) != 2 {
		t.Fatalf("README.md has %d GRANT lines, want the registrar's 2: %q", len(g), g)
	}
	return g
}

// TestProdOperations: prod runs against external MySQL and ZooKeeper,
// keeps a node budget and spreads the nodes, and reads the alarm mail's
// SMTP password from a Secret.
func TestProdOperations(t *testing.T) {
	for _, v := range variants(t) {
		if v.dev {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			r := render(t, v.dir)
			if len(r.jobs) != 0 || len(r.statefulSets) != 1 {
				t.Errorf("prod brings its own database or ZooKeeper: %d Jobs, %d StatefulSets", len(r.jobs), len(r.statefulSets))
			}
			node := r.node(t)
			if len(r.budgets) != 1 {
				t.Fatalf("%d PodDisruptionBudgets, want one for the nodes", len(r.budgets))
			}
			pdb := r.budgets[0]
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if err != nil || !sel.Matches(labels.Set(node.Spec.Template.Labels)) || sel.Matches(labels.Set(r.deployments[0].Spec.Template.Labels)) {
				t.Errorf("the PodDisruptionBudget must select the node pods only (%v)", err)
			}
			if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || pdb.Spec.MinAvailable != nil {
				t.Errorf("PodDisruptionBudget: maxUnavailable %v minAvailable %v, want maxUnavailable 1", pdb.Spec.MaxUnavailable, pdb.Spec.MinAvailable)
			}
			hostSpread := false
			for _, c := range node.Spec.Template.Spec.TopologySpreadConstraints {
				s, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
				if err != nil || !s.Matches(labels.Set(node.Spec.Template.Labels)) {
					t.Errorf("spread constraint on %s does not select the node pods", c.TopologyKey)
				}
				hostSpread = hostSpread || (c.TopologyKey == "kubernetes.io/hostname" && c.MaxSkew == 1 && c.WhenUnsatisfiable == corev1.DoNotSchedule)
			}
			if !hostSpread {
				t.Error("the node pods are not spread over hosts")
			}

			mp := properties(t, r, "manager.properties")
			for _, k := range []string{"otter.database.driver.url"} {
				if h := jdbcHost(t, mp[k]); strings.HasPrefix(h, "mysql:") || strings.HasPrefix(h, "mysql.otter") {
					t.Errorf("%s points into the cluster (%s): prod expects an external MySQL", k, h)
				}
			}
			nc := node.Spec.Template.Spec.Containers[0]
			if u, _ := envValue(nc, "OTTER_REGISTER_URL"); jdbcHost(t, u) != jdbcHost(t, mp["otter.database.driver.url"]) {
				t.Errorf("OTTER_REGISTER_URL %s is not the manager's database", u)
			}

			// otter.manager.monitor.email.password from a Secret file.
			mc := r.deployments[0].Spec.Template.Spec.Containers[0]
			if s := secretOf(t, r.deployments[0].Spec.Template.Spec, mc, "OTTER_MANAGER_MONITOR_EMAIL_PASSWORD_FILE"); s == "" {
				t.Error("no SMTP password Secret")
			}
			if _, ok := mp["otter.manager.monitor.email.password"]; ok {
				t.Error("the SMTP password is in the ConfigMap")
			}
		})
	}
}
