package propsfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"unicode"
)

// WriteFile writes the rendered file, secrets included, to
// <dir>/otter.properties with mode 0600, creating dir (0700) when needed.
// A temporary file in dir is written and renamed over the old one, so a
// reader sees the old file or the new one, never a part; when anything fails
// the temporary file is removed and any previous file is left as it was.
// Nothing is fsynced: the file is rendered again at every start, before java
// reads it, so surviving a power loss buys nothing.
func (r *Result) WriteFile(dir string) (path string, err error) {
	return writeFileAtomic(dir, FileName, r.Bytes(true))
}

func writeFileAtomic(dir, name string, data []byte) (path string, err error) {
	path = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the render directory %s: %w (set ENTRYPOINT_RENDER_DIR to a writable directory)", dir, err)
	}
	if err := checkPrivateDir(dir); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("write %s: %w (set ENTRYPOINT_RENDER_DIR to a writable directory)", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()      //nolint:errcheck // already failing; the file is removed next
			os.Remove(tmp) //nolint:errcheck // best effort cleanup of our own temporary file
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// checkPrivateDir refuses a render directory another user can write to.
// It is the first entry of java's classpath: whoever can create entries in
// it can replace otter.properties or put classes before Otter's own. So it
// must be owned by the entrypoint's user and writable by nobody else — a
// sticky bit is no excuse, as it stops others deleting entries, not
// creating them.
func checkPrivateDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("render directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("render directory %s is not a directory", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("render directory %s is owned by uid %d, not by the entrypoint's user (uid %d): it is the first entry of java's classpath, so its owner could change what Otter runs; use a directory this user owns (the default /tmp/otter-entrypoint is created so)",
			dir, st.Uid, os.Geteuid())
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("render directory %s is writable by its group or by others (%s): it is the first entry of java's classpath, so they could change what Otter runs; chmod go-w it, or use a directory of its own",
			dir, fi.Mode())
	}
	return nil
}

// Explain writes one line per key: the key, its value (secrets masked
// unless showSecrets) and its source, with the sources it overrode.
// Values that are empty, have blanks at either end or hold characters that
// are not printable are shown quoted, Go-style.
func (r *Result) Explain(w io.Writer, showSecrets bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, e := range r.entries {
		src := e.Source.String()
		if len(e.Overrides) > 0 {
			over := make([]string, len(e.Overrides))
			for i, o := range e.Overrides {
				over[i] = o.String()
			}
			src += " (overrides " + strings.Join(over, ", ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", display(e.Key), display(e.shown(showSecrets)), display(src))
	}
	return tw.Flush()
}

// display shows s as it is when that is unambiguous on one line, else quoted.
func display(s string) string {
	if s == "" || s != strings.TrimSpace(s) || strings.ContainsAny(s, "\"\t") {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
