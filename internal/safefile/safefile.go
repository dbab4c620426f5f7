// Package safefile opens the files the entrypoint reads (otter.properties,
// the config directory's files, *_FILE secrets, followed log files) so that
// nothing a hostile or careless environment puts at a path can hang, flood
// or bloat PID 1: a FIFO, a device such as /dev/zero, a socket or a
// directory is refused before a byte is read, the open never blocks, and a
// read is bounded.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Limits of the files the entrypoint reads whole.
const (
	// MaxPropertiesSize bounds a .properties file (the release's base file
	// or one in OTTER_CONFIG_DIR): Otter's own are a few KiB, and a
	// Kubernetes ConfigMap holds at most 1 MiB.
	MaxPropertiesSize = 1 << 20
	// MaxSecretSize bounds a file named by a *_FILE variable: a password,
	// token or user name, never a bundle.
	MaxSecretSize = 64 << 10
)

// NotRegularError is a path that names something other than a regular file.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, Kind(e.Mode))
}

// TooLargeError is a file larger than the limit for its kind.
type TooLargeError struct {
	Path  string
	Size  int64 // the size found (at least Limit+1)
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than the limit of %s (%d bytes found)", e.Path, human(e.Limit), e.Size)
}

// Kind names what a file mode describes, for messages ("a named pipe (FIFO)").
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file (mode " + m.String() + ")"
}

func human(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Open opens a regular file for reading. Symbolic links are followed (a
// mounted ConfigMap's files are links). Anything else is refused with a
// *NotRegularError: the path is checked with stat before it is opened (so
// a device is never opened), opened with O_NONBLOCK (so a FIFO swapped in
// meanwhile cannot block the open) and checked again with fstat on what
// was opened. The returned info is the open file's.
func Open(path string) (*os.File, fs.FileInfo, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: path, Mode: fi.Mode()}
	}
	return f, fi, nil
}

// ReadFile reads a whole regular file of at most limit bytes. A larger one
// is refused with a *TooLargeError before anything is read when its size
// says so, and after limit+1 bytes when it grows while being read, so a
// read never holds more than limit+1 bytes.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, fi, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: fi.Size(), Limit: limit}
	}
	// LimitReader: a file that grows while it is read stops at limit+1.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Size: int64(len(data)), Limit: limit}
	}
	return data, nil
}

// Describe turns an error of Open or ReadFile into the reason alone,
// without the path (for messages that name the file already): "is a named
// pipe (FIFO), not a regular file", "is larger than the limit of 1 MiB
// (52428800 bytes found)", "open: permission denied".
func Describe(err error) string {
	var nr *NotRegularError
	var tl *TooLargeError
	var pe *fs.PathError
	switch {
	case errors.As(err, &nr):
		return "is " + Kind(nr.Mode) + ", not a regular file"
	case errors.As(err, &tl):
		return fmt.Sprintf("is larger than the limit of %s (%d bytes found)", human(tl.Limit), tl.Size)
	case errors.As(err, &pe):
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
