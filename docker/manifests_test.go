package docker

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"otter-entrypoint/jvm"
)

// The entrypoint's defaults the manifests must agree with (see README.md).
const (
	probePort          = 9779
	defaultStopTimeout = 25 * time.Second
	defaultDrain       = 2 * time.Second
	defaultConfigDir   = "/etc/otter"
	defaultRenderDir   = "/tmp/otter-entrypoint"
	monitoringNS       = "monitoring"
)

// podMonitor is the part of monitoring.coreos.com/v1 PodMonitor the
// manifests use; decoding is strict, so a field not listed here fails.
type podMonitor struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       struct {
		Selector            metav1.LabelSelector `json:"selector"`
		PodMetricsEndpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// rendered is an overlay's output, every object decoded strictly.
type rendered struct {
	namespaces   []corev1.Namespace
	configMaps   map[string]corev1.ConfigMap
	secrets      map[string]corev1.Secret
	services     []corev1.Service
	deployments  []appsv1.Deployment
	statefulSets []appsv1.StatefulSet
	policies     []networkingv1.NetworkPolicy
	podMonitors  []podMonitor
	jobs         []batchv1.Job
	budgets      []policyv1.PodDisruptionBudget
}

// statefulSet returns the StatefulSet named name.
func (r *rendered) statefulSet(t *testing.T, name string) appsv1.StatefulSet {
	t.Helper()
	for _, s := range r.statefulSets {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no StatefulSet %s", name)
	return appsv1.StatefulSet{}
}

// service returns the Service named name, or nil.
func (r *rendered) service(name string) *corev1.Service {
	for i := range r.services {
		if r.services[i].Name == name {
			return &r.services[i]
		}
	}
	return nil
}

// node is the otter-node StatefulSet.
func (r *rendered) node(t *testing.T) appsv1.StatefulSet { return r.statefulSet(t, "otter-node") }

// podTemplates are every pod template of the output, by owner name.
func (r *rendered) podTemplates() map[string]corev1.PodTemplateSpec {
	out := map[string]corev1.PodTemplateSpec{}
	for _, d := range r.deployments {
		out["Deployment "+d.Name] = d.Spec.Template
	}
	for _, s := range r.statefulSets {
		out["StatefulSet "+s.Name] = s.Spec.Template
	}
	for _, j := range r.jobs {
		out["Job "+j.Name] = j.Spec.Template
	}
	return out
}

// newRendered is an empty output, its maps made.
func newRendered() *rendered {
	return &rendered{configMaps: map[string]corev1.ConfigMap{}, secrets: map[string]corev1.Secret{}}
}

// decodeStrict decodes one object; unknown or duplicate fields are errors.
func decodeStrict[T any](doc []byte) (T, error) {
	var o T
	err := yaml.UnmarshalStrict(doc, &o)
	return o, err
}

// appendStrict decodes one object strictly and appends it to list.
func appendStrict[T any](list *[]T, doc []byte) error {
	o, err := decodeStrict[T](doc)
	if err == nil {
		*list = append(*list, o)
	}
	return err
}

// decodeObject sorts a rendered object into r by apiVersion and kind.
func (r *rendered) decodeObject(apiVersion, kind string, doc []byte) error {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return appendStrict(&r.namespaces, doc)
	case "v1 ConfigMap":
		o, err := decodeStrict[corev1.ConfigMap](doc)
		if err == nil {
			r.configMaps[o.Name] = o
		}
		return err
	case "v1 Secret":
		o, err := decodeStrict[corev1.Secret](doc)
		if err == nil {
			r.secrets[o.Name] = o
		}
		return err
	case "v1 Service":
		return appendStrict(&r.services, doc)
	case "apps/v1 Deployment":
		return appendStrict(&r.deployments, doc)
	case "apps/v1 StatefulSet":
		return appendStrict(&r.statefulSets, doc)
	case "networking.k8s.io/v1 NetworkPolicy":
		return appendStrict(&r.policies, doc)
	case "monitoring.coreos.com/v1 PodMonitor":
		return appendStrict(&r.podMonitors, doc)
	case "batch/v1 Job":
		return appendStrict(&r.jobs, doc)
	case "policy/v1 PodDisruptionBudget":
		return appendStrict(&r.budgets, doc)
	}
	return fmt.Errorf("unexpected object %s %s: the test knows no type for it", apiVersion, kind)
}

// render runs kustomize on dir (on disk) and decodes every object.
func render(t *testing.T, dir string) *rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	r := newRendered()
	for _, res := range m.Resources() {
		doc, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		if err := r.decodeObject(res.GetApiVersion(), res.GetKind(), doc); err != nil {
			t.Fatalf("%s: %s %s: %v\n%s", dir, res.GetKind(), res.GetName(), err, doc)
		}
	}
	return r
}

// variant is one way to deploy: an overlay, optionally with components
// added.
type variant struct {
	name       string
	dir        string // kustomization directory
	namespace  string
	nodes      int32
	dev        bool // the overlay brings MariaDB, ZooKeeper and generated Secrets
	nodePort   bool // the NodePort component is included
	podMonitor bool // the PodMonitor component is included
}

// withComponents writes a kustomization in a temporary directory that adds
// components (directories under kubernetes/components) to overlay, as a
// user's overlay would.
func withComponents(t *testing.T, overlay, namespace string, components ...string) string {
	t.Helper()
	dir := t.TempDir()
	rel := func(p string) string {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := filepath.Rel(dir, abs)
		if err != nil {
			t.Fatal(err)
		}
		return filepath.ToSlash(r)
	}
	k := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: %s\nresources:\n- %s\ncomponents:\n", namespace, rel(overlay))
	for _, c := range components {
		k += "- " + rel("kubernetes/components/"+c) + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func variants(t *testing.T) []variant {
	return []variant{
		{name: "dev", dir: "kubernetes/overlays/dev", namespace: "otter-dev", nodes: 1, dev: true},
		{name: "prod", dir: "kubernetes/overlays/prod", namespace: "otter-prod", nodes: 3},
		{name: "dev+nodeport", dir: withComponents(t, "kubernetes/overlays/dev", "otter-dev", "nodeport"), namespace: "otter-dev", nodes: 1, dev: true, nodePort: true},
		{name: "prod+nodeport", dir: withComponents(t, "kubernetes/overlays/prod", "otter-prod", "nodeport"), namespace: "otter-prod", nodes: 3, nodePort: true},
		{name: "dev+podmonitor", dir: withComponents(t, "kubernetes/overlays/dev", "otter-dev", "podmonitor"), namespace: "otter-dev", nodes: 1, dev: true, podMonitor: true},
		{name: "prod+podmonitor+nodeport", dir: withComponents(t, "kubernetes/overlays/prod", "otter-prod", "podmonitor", "nodeport"), namespace: "otter-prod", nodes: 3, podMonitor: true, nodePort: true},
	}
}

// envValue returns a container's literal env value.
func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom == nil {
			return e.Value, true
		}
	}
	return "", false
}

func envDuration(t *testing.T, c corev1.Container, name string, def time.Duration) time.Duration {
	t.Helper()
	v, ok := envValue(c, name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("container %s: %s=%q: %v", c.Name, name, v, err)
	}
	return d
}

// resolvePort turns a probe's port (number or container port name) into a number.
func resolvePort(c corev1.Container, p intstr.IntOrString) (int32, bool) {
	if p.Type == intstr.Int {
		return p.IntVal, true
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

func checkProbe(t *testing.T, where string, c corev1.Container, p *corev1.Probe, path string) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: want an httpGet probe on %s", where, path)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s: path %q, want %q", where, p.HTTPGet.Path, path)
	}
	if n, ok := resolvePort(c, p.HTTPGet.Port); !ok || n != probePort {
		t.Errorf("%s: port %s is %d (found %v), want %d", where, p.HTTPGet.Port.String(), n, ok, probePort)
	}
	if p.HTTPGet.Scheme != "" && p.HTTPGet.Scheme != corev1.URISchemeHTTP {
		t.Errorf("%s: scheme %s, want HTTP", where, p.HTTPGet.Scheme)
	}
}

// mountFor returns the volume mount that holds path (the longest prefix).
func mountFor(c corev1.Container, path string) (corev1.VolumeMount, bool) {
	var best corev1.VolumeMount
	found := false
	for _, m := range c.VolumeMounts {
		if (path == m.MountPath || strings.HasPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/")) && len(m.MountPath) > len(best.MountPath) {
			best, found = m, true
		}
	}
	return best, found
}

func volumeByName(spec corev1.PodSpec, name string) (corev1.Volume, bool) {
	for _, v := range spec.Volumes {
		if v.Name == name {
			return v, true
		}
	}
	return corev1.Volume{}, false
}

// checkPod asserts what every Otter pod needs; role is manager or node.
func checkPod(t *testing.T, r *rendered, v variant, role string, meta metav1.ObjectMeta, spec corev1.PodSpec) {
	t.Helper()
	where := v.name + " " + role
	if spec.EnableServiceLinks == nil || *spec.EnableServiceLinks {
		t.Errorf("%s: enableServiceLinks must be false (service env vars would become properties)", where)
	}
	if len(spec.InitContainers) != 0 {
		t.Errorf("%s: unexpected init containers", where)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", where, len(spec.Containers))
	}
	c := spec.Containers[0]

	// Probes and the probe port.
	checkProbe(t, where+" startupProbe", c, c.StartupProbe, "/livez")
	checkProbe(t, where+" livenessProbe", c, c.LivenessProbe, "/livez")
	checkProbe(t, where+" readinessProbe", c, c.ReadinessProbe, "/readyz")
	if l, ok := envValue(c, "ENTRYPOINT_LISTEN"); ok && l != ":"+strconv.Itoa(probePort) {
		t.Errorf("%s: ENTRYPOINT_LISTEN=%q, want :%d", where, l, probePort)
	}
	if n, ok := resolvePort(c, intstr.FromString("metrics")); !ok || n != probePort {
		t.Errorf("%s: want a container port named metrics = %d for scraping", where, probePort)
	}
	if got := meta.Annotations; got["prometheus.io/scrape"] != "true" || got["prometheus.io/port"] != strconv.Itoa(probePort) || got["prometheus.io/path"] != "/metrics" {
		t.Errorf("%s: prometheus.io annotations %v", where, got)
	}

	// Grace period above the entrypoint's whole stop budget.
	stop := envDuration(t, c, "ENTRYPOINT_STOP_TIMEOUT", defaultStopTimeout)
	drain := envDuration(t, c, "ENTRYPOINT_DRAIN_TIMEOUT", defaultDrain)
	grace := time.Duration(30) * time.Second
	if spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	}
	if grace <= stop+drain {
		t.Errorf("%s: terminationGracePeriodSeconds %v must exceed ENTRYPOINT_STOP_TIMEOUT %v + ENTRYPOINT_DRAIN_TIMEOUT %v", where, grace, stop, drain)
	}

	// Non-root, read-only root file system, no privilege escalation.
	psc := spec.SecurityContext
	nonRoot := psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot
	uid := int64(-1)
	if psc != nil && psc.RunAsUser != nil {
		uid = *psc.RunAsUser
	}
	sc := c.SecurityContext
	if sc == nil {
		t.Fatalf("%s: container has no securityContext", where)
	}
	if sc.RunAsNonRoot != nil {
		nonRoot = *sc.RunAsNonRoot
	}
	if sc.RunAsUser != nil {
		uid = *sc.RunAsUser
	}
	if !nonRoot || uid != 1000 {
		t.Errorf("%s: runAsNonRoot=%v runAsUser=%d, want true and 1000 (the images' user)", where, nonRoot, uid)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem must be true", where)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation must be false", where)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("%s: privileged", where)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) != 0 {
		t.Errorf("%s: capabilities %+v, want drop ALL and add none", where, sc.Capabilities)
	}

	// A memory limit (the heap follows it).
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("%s: no memory limit", where)
	}

	// No subPath anywhere; the ConfigMap is a directory at OTTER_CONFIG_DIR
	// holding otter.properties from a key that exists.
	for _, m := range c.VolumeMounts {
		if m.SubPath != "" || m.SubPathExpr != "" {
			t.Errorf("%s: volume %s is mounted with subPath: it would never see updates", where, m.Name)
		}
	}
	configDir := defaultConfigDir
	if d, ok := envValue(c, "OTTER_CONFIG_DIR"); ok {
		configDir = d
	}
	cm, ok := mountFor(c, configDir)
	if !ok || cm.MountPath != configDir || !cm.ReadOnly {
		t.Errorf("%s: want a read-only mount at OTTER_CONFIG_DIR %s, have %+v", where, configDir, cm)
	} else {
		vol, _ := volumeByName(spec, cm.Name)
		if vol.ConfigMap == nil {
			t.Errorf("%s: %s is not a ConfigMap volume", where, configDir)
		} else {
			data, ok := r.configMaps[vol.ConfigMap.Name]
			if !ok {
				t.Errorf("%s: ConfigMap %s is not in the output", where, vol.ConfigMap.Name)
			}
			var paths []string
			for _, it := range vol.ConfigMap.Items {
				paths = append(paths, it.Path)
				if _, ok := data.Data[it.Key]; !ok {
					t.Errorf("%s: ConfigMap %s has no key %s", where, vol.ConfigMap.Name, it.Key)
				}
				if it.Key != role+".properties" {
					t.Errorf("%s: mounts key %s, want %s.properties", where, it.Key, role)
				}
			}
			if !slices.Equal(paths, []string{"otter.properties"}) {
				t.Errorf("%s: ConfigMap files %v, want [otter.properties]", where, paths)
			}
		}
	}

	// Writable places: the render directory under an emptyDir, and every
	// other mount that is not read-only is an emptyDir.
	renderDir := defaultRenderDir
	if d, ok := envValue(c, "ENTRYPOINT_RENDER_DIR"); ok {
		renderDir = d
	}
	if m, ok := mountFor(c, renderDir); !ok || m.ReadOnly {
		t.Errorf("%s: the render dir %s is on the read-only root file system", where, renderDir)
	}
	for _, m := range c.VolumeMounts {
		vol, ok := volumeByName(spec, m.Name)
		if !ok {
			t.Errorf("%s: mount %s has no volume", where, m.Name)
			continue
		}
		if !m.ReadOnly && vol.EmptyDir == nil {
			t.Errorf("%s: writable mount %s is not an emptyDir", where, m.MountPath)
		}
	}
	for _, dir := range append([]string{"/tmp", "/home/admin/" + role + "/logs"}, map[string][]string{"node": {"/home/admin/node/htdocs", "/home/admin/node/download"}}[role]...) {
		if m, ok := mountFor(c, dir); !ok || m.ReadOnly {
			t.Errorf("%s: Otter writes %s, but it is not on a writable volume", where, dir)
		}
	}

	// Secrets only as files: no secretKeyRef, no envFrom; every *_FILE
	// setting points into a mounted Secret item.
	if len(c.EnvFrom) != 0 {
		t.Errorf("%s: envFrom is not allowed (secrets would become env vars)", where)
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			t.Errorf("%s: env %s reads a Secret: read it through a *_FILE setting instead", where, e.Name)
		}
	}
	secretFiles := 0
	for _, e := range c.Env {
		if !strings.HasSuffix(e.Name, "_FILE") {
			continue
		}
		m, ok := mountFor(c, e.Value)
		vol, _ := volumeByName(spec, m.Name)
		if !ok || vol.Secret == nil || !m.ReadOnly {
			t.Errorf("%s: %s=%s is not in a read-only Secret volume", where, e.Name, e.Value)
			continue
		}
		rel := strings.TrimPrefix(e.Value, strings.TrimSuffix(m.MountPath, "/")+"/")
		found := false
		for _, it := range vol.Secret.Items {
			found = found || it.Path == rel
		}
		if !found {
			t.Errorf("%s: %s=%s: Secret %s has no item at %s", where, e.Name, e.Value, vol.Secret.SecretName, rel)
		}
		if v.dev {
			if s, ok := r.secrets[vol.Secret.SecretName]; !ok {
				t.Errorf("%s: Secret %s is not generated", where, vol.Secret.SecretName)
			} else if len(s.Data["password"]) == 0 {
				t.Errorf("%s: Secret %s has no password", where, vol.Secret.SecretName)
			}
		}
		secretFiles++
	}
	for _, vol := range spec.Volumes {
		if vol.Secret == nil {
			continue
		}
		mounted := false
		for _, m := range c.VolumeMounts {
			mounted = mounted || (m.Name == vol.Name && m.ReadOnly)
		}
		if !mounted {
			t.Errorf("%s: Secret volume %s is not mounted read-only", where, vol.Name)
		}
	}
	want := map[string]string{"manager": "OTTER_DATABASE_DRIVER_PASSWORD_FILE", "node": "OTTER_REGISTER_PASSWORD_FILE"}[role]
	if p, ok := envValue(c, want); !ok || p == "" || secretFiles == 0 {
		t.Errorf("%s: the password must come from %s (got %q, %d *_FILE settings)", where, want, p, secretFiles)
	}

	checkStorage(t, where, role, c, spec)
}

// containerLogs is what the kubelet keeps of a container's stdout and
// stderr (5 files of 10Mi by default) plus room: it counts against the
// container's ephemeral-storage limit too.
var containerLogs = resource.MustParse("256Mi")

// checkStorage asserts the ephemeral storage of an Otter pod: requests and
// limits are set, the limit covers every disk-backed emptyDir's sizeLimit
// (their sum is what the kubelet evicts the pod for), and heap dumps go to
// a volume of their own that holds a whole heap, not to the logs.
func checkStorage(t *testing.T, where, role string, c corev1.Container, spec corev1.PodSpec) {
	t.Helper()
	req, okReq := c.Resources.Requests[corev1.ResourceEphemeralStorage]
	lim, okLim := c.Resources.Limits[corev1.ResourceEphemeralStorage]
	if !okReq || !okLim || req.Cmp(lim) > 0 {
		t.Errorf("%s: ephemeral-storage request %v and limit %v must both be set, request <= limit", where, req.String(), lim.String())
	}
	sum := containerLogs.DeepCopy()
	for _, v := range spec.Volumes {
		if v.EmptyDir == nil || v.EmptyDir.Medium == corev1.StorageMediumMemory {
			continue
		}
		if v.EmptyDir.SizeLimit == nil {
			t.Errorf("%s: emptyDir %s has no sizeLimit", where, v.Name)
			continue
		}
		sum.Add(*v.EmptyDir.SizeLimit)
	}
	if okLim && lim.Cmp(sum) < 0 {
		t.Errorf("%s: ephemeral-storage limit %s is below the emptyDirs' sizeLimits plus container logs (%s)", where, lim.String(), sum.String())
	}

	opts, _ := envValue(c, "JAVA_OPTIONS")
	dumpDir := ""
	for _, f := range strings.Fields(opts) {
		if p, ok := strings.CutPrefix(f, "-XX:HeapDumpPath="); ok {
			dumpDir = p
		}
	}
	if dumpDir == "" {
		t.Errorf("%s: JAVA_OPTIONS %q sets no -XX:HeapDumpPath: dumps would go to the logs volume", where, opts)
		return
	}
	m, ok := mountFor(c, dumpDir)
	if !ok || m.ReadOnly {
		t.Errorf("%s: heap dump path %s is not on a writable volume", where, dumpDir)
		return
	}
	if logs, _ := mountFor(c, "/home/admin/"+role+"/logs"); logs.Name == m.Name {
		t.Errorf("%s: heap dumps share the logs volume %s", where, m.Name)
	}
	vol, _ := volumeByName(spec, m.Name)
	mem := c.Resources.Limits[corev1.ResourceMemory]
	if vol.EmptyDir == nil || vol.EmptyDir.SizeLimit == nil || vol.EmptyDir.SizeLimit.Cmp(mem) < 0 {
		t.Errorf("%s: heap dump volume %s must be an emptyDir with a sizeLimit of at least the memory limit %s", where, m.Name, mem.String())
	}
}

func TestManifestsRenderStrictly(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			r := render(t, v.dir)
			if len(r.namespaces) != 1 || r.namespaces[0].Name != v.namespace {
				t.Errorf("namespaces %v, want exactly %s", r.namespaces, v.namespace)
			}
			wantSets, wantSecrets, wantMonitors := 1, 0, 0
			if v.dev {
				wantSets, wantSecrets = 3, 3 // otter-node, mysql, zookeeper; database, registrar, MariaDB root
			}
			if v.podMonitor {
				wantMonitors = 1
			}
			if len(r.deployments) != 1 || len(r.statefulSets) != wantSets || len(r.podMonitors) != wantMonitors {
				t.Fatalf("%d Deployments, %d StatefulSets, %d PodMonitors; want 1, %d, %d (the PodMonitor only from its component)",
					len(r.deployments), len(r.statefulSets), len(r.podMonitors), wantSets, wantMonitors)
			}
			if len(r.configMaps) != 1 {
				t.Errorf("%d ConfigMaps, want one otter.properties ConfigMap per environment", len(r.configMaps))
			}
			if len(r.secrets) != wantSecrets {
				t.Errorf("%d Secrets generated, want %d", len(r.secrets), wantSecrets)
			}
			d, s := r.deployments[0], r.node(t)
			for _, o := range []metav1.ObjectMeta{d.ObjectMeta, s.ObjectMeta} {
				if o.Namespace != v.namespace {
					t.Errorf("%s in namespace %q, want %s", o.Name, o.Namespace, v.namespace)
				}
			}
			if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType || d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
				t.Errorf("manager: want one replica replaced with Recreate (two managers must never overlap)")
			}
			checkPod(t, r, v, "manager", d.Spec.Template.ObjectMeta, d.Spec.Template.Spec)
			checkPod(t, r, v, "node", s.Spec.Template.ObjectMeta, s.Spec.Template.Spec)
			for _, c := range []corev1.Container{d.Spec.Template.Spec.Containers[0], s.Spec.Template.Spec.Containers[0]} {
				if !strings.Contains(c.Image, ":") {
					t.Errorf("container %s image %q has no tag", c.Name, c.Image)
				}
			}
		})
	}
}

// TestStatefulSetNids asserts that the names a StatefulSet gives its pods
// yield, through the entrypoint's own jvm.Nid, the ids 1..n: the nids to
// register in the manager.
func TestStatefulSetNids(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			r := render(t, v.dir)
			s := r.node(t)
			if s.Spec.Replicas == nil || *s.Spec.Replicas != v.nodes {
				t.Fatalf("replicas %v, want %d", s.Spec.Replicas, v.nodes)
			}
			c := s.Spec.Template.Spec.Containers[0]
			if _, ok := envValue(c, "OTTER_NID"); ok {
				t.Fatal("OTTER_NID is set: every pod would get the same nid")
			}
			offsetStr, ok := envValue(c, "OTTER_NID_OFFSET")
			offset := 1
			if ok {
				var err error
				if offset, err = strconv.Atoi(offsetStr); err != nil {
					t.Fatal(err)
				}
			}
			getenv := func(name string) (string, bool) { return envValue(c, name) }
			seen := map[int]string{}
			for ord := 0; ord < int(*s.Spec.Replicas); ord++ {
				host := fmt.Sprintf("%s-%d", s.Name, ord)
				nid, err := jvm.Nid(getenv, host, jvm.ConfNid{})
				if err != nil {
					t.Fatalf("pod %s: %v", host, err)
				}
				if nid != ord+offset {
					t.Errorf("pod %s: nid %d, want ordinal %d + OTTER_NID_OFFSET %d", host, nid, ord, offset)
				}
				if other, dup := seen[nid]; dup {
					t.Errorf("pods %s and %s share nid %d", other, host, nid)
				}
				seen[nid] = host
			}
			if seen[1] == "" {
				t.Errorf("no pod gets nid 1; nids %v", seen)
			}

			// Every pod has a stable DNS name through a headless Service
			// that publishes it before it is ready.
			headless := r.service(s.Spec.ServiceName)
			if headless == nil {
				t.Fatalf("serviceName %q has no Service", s.Spec.ServiceName)
			}
			if headless.Spec.ClusterIP != corev1.ClusterIPNone || !headless.Spec.PublishNotReadyAddresses {
				t.Errorf("Service %s: clusterIP %q publishNotReadyAddresses %v, want None and true", headless.Name, headless.Spec.ClusterIP, headless.Spec.PublishNotReadyAddresses)
			}
			if !labels.SelectorFromSet(headless.Spec.Selector).Matches(labels.Set(s.Spec.Template.Labels)) {
				t.Errorf("Service %s does not select the node pods", headless.Name)
			}
			if adv, _ := envValue(c, "OTTER_ADVERTISE_HOST"); adv != "$(POD_NAME)."+headless.Name+".$(POD_NAMESPACE).svc" {
				t.Errorf("OTTER_ADVERTISE_HOST=%q, want the pod's DNS name in the headless Service", adv)
			}
		})
	}
}

func TestServicesExposure(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			r := render(t, v.dir)
			var nodePorts []int32
			for _, svc := range r.services {
				switch svc.Spec.Type {
				case "", corev1.ServiceTypeClusterIP:
				case corev1.ServiceTypeNodePort:
					if !strings.HasPrefix(svc.Name, "otter-node-") {
						t.Errorf("Service %s is a NodePort: only node pods may be exposed", svc.Name)
					}
					if svc.Spec.Selector["statefulset.kubernetes.io/pod-name"] == "" {
						t.Errorf("NodePort Service %s does not select one pod", svc.Name)
					}
					for _, p := range svc.Spec.Ports {
						if p.NodePort != p.Port || p.TargetPort.IntVal != p.Port {
							t.Errorf("Service %s port %s: port, targetPort and nodePort must be one number (the node binds what the manager tells it)", svc.Name, p.Name)
						}
						nodePorts = append(nodePorts, p.NodePort)
					}
				default:
					t.Errorf("Service %s has type %s", svc.Name, svc.Spec.Type)
				}
				if svc.Name == "otter-manager" {
					var ports []int32
					for _, p := range svc.Spec.Ports {
						ports = append(ports, p.Port)
					}
					if svc.Spec.Type != "" && svc.Spec.Type != corev1.ServiceTypeClusterIP || !slices.Equal(ports, []int32{8080, 1099}) {
						t.Errorf("manager Service: type %s ports %v, want ClusterIP with 8080 and 1099", svc.Spec.Type, ports)
					}
				}
			}
			slices.Sort(nodePorts)
			var want []int32
			if v.nodePort {
				want = []int32{31088, 31089, 31090, 31188, 31189, 31190}
			}
			if !slices.Equal(nodePorts, want) {
				t.Errorf("NodePorts %v, want %v", nodePorts, want)
			}
		})
	}
}

func TestPodMonitor(t *testing.T) {
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) {
			r := render(t, v.dir)
			if !v.podMonitor {
				if len(r.podMonitors) != 0 {
					t.Fatal("a PodMonitor without its component: apply -k fails on a cluster without the Prometheus Operator")
				}
				return
			}
			pm := r.podMonitors[0]
			sel, err := metav1.LabelSelectorAsSelector(&pm.Spec.Selector)
			if err != nil {
				t.Fatal(err)
			}
			if len(pm.Spec.PodMetricsEndpoints) != 1 {
				t.Fatalf("%d endpoints, want 1", len(pm.Spec.PodMetricsEndpoints))
			}
			ep := pm.Spec.PodMetricsEndpoints[0]
			if ep.Path != "/metrics" {
				t.Errorf("path %q", ep.Path)
			}
			if _, err := time.ParseDuration(ep.Interval); err != nil {
				t.Errorf("interval %q: %v", ep.Interval, err)
			}
			pods := map[string]corev1.PodTemplateSpec{"manager": r.deployments[0].Spec.Template, "node": r.node(t).Spec.Template}
			for role, pod := range pods {
				if !sel.Matches(labels.Set(pod.Labels)) {
					t.Errorf("PodMonitor does not select the %s pods", role)
				}
				if n, ok := resolvePort(pod.Spec.Containers[0], intstr.FromString(ep.Port)); !ok || n != probePort {
					t.Errorf("%s: PodMonitor port %q is %d (found %v), want %d", role, ep.Port, n, ok, probePort)
				}
			}
		})
	}
}

func TestDecodeStrictRejectsUnknownFields(t *testing.T) {
	r := newRendered()
	good := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        readOnlyRootFilesystem: true\n")
	if err := r.decodeObject("apps/v1", "Deployment", good); err == nil {
		t.Error("a field at the wrong level (readOnlyRootFilesystem outside securityContext) was accepted")
	}
	pm := []byte("apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata:\n  name: x\nspec:\n  podMetricEndpoints: []\n")
	if err := r.decodeObject("monitoring.coreos.com/v1", "PodMonitor", pm); err == nil {
		t.Error("a misspelt PodMonitor field was accepted")
	}
	if err := r.decodeObject("v1", "Pod", []byte("apiVersion: v1\nkind: Pod\n")); err == nil {
		t.Error("an object of a kind the test does not know was accepted")
	}
}
