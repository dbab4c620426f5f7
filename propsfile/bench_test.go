package propsfile

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// BenchmarkRender renders a 200-key base file with 20 overrides from the
// environment (10 named like the key, 10 OTTER_<NAME>) and one secret file,
// including reading the files and producing the file text.
func BenchmarkRender(b *testing.B) {
	var base strings.Builder
	base.WriteString("otter.manager.address = manager:1099\n")
	for i := 1; i < 200; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&base, "\n## group %d: some comment text\n", i/10)
		}
		fmt.Fprintf(&base, "otter.bench.group%d.key%d = value number %d with ${otter.nodeHome}/path\n", i%7, i, i)
	}
	home := newHome(b, base.String())
	env := []string{"PATH=/usr/bin", "HOME=/root", "HOSTNAME=node-0", "OTTER_HOME=" + home}
	for i := 1; i <= 10; i++ {
		env = append(env, fmt.Sprintf("otter.bench.group%d.key%d=override-%d", i%7, i, i))
		env = append(env, fmt.Sprintf("OTTER_BENCH_GROUP%d_KEY%d=override-%d", (i+100)%7, i+100, i))
	}
	secret := filepath.Join(b.TempDir(), "pw")
	writeFile(b, secret, "pw\n")
	env = append(env, "otter.database.driver.password_FILE="+secret)
	opts := Options{Role: "node", OtterHome: home, ConfigDir: filepath.Join(home, "no-such-dir"), Environ: env}
	log := zap.NewNop()
	b.ReportAllocs()
	for b.Loop() {
		r, err := Render(opts, log)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Bytes(true)) == 0 {
			b.Fatal("empty")
		}
	}
}
