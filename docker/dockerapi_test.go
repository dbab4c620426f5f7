package docker

// A small client of the Docker Engine API over its unix socket: only what
// the end-to-end test needs (import, build with the classic builder,
// containers, logs). The daemon's own API, no docker CLI.

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

type dockerAPI struct {
	http    *http.Client
	version string // "v1.41"
}

// dockerSocket is the daemon's socket: DOCKER_HOST when it is unix://,
// else /var/run/docker.sock.
func dockerSocket(getenv func(string) string) (string, error) {
	h := getenv("DOCKER_HOST")
	if h == "" {
		return "/var/run/docker.sock", nil
	}
	if p, ok := strings.CutPrefix(h, "unix://"); ok {
		return p, nil
	}
	return "", fmt.Errorf("DOCKER_HOST=%q: the test speaks to a local daemon over a unix socket only", h)
}

func newDockerAPI(ctx context.Context, socket string) (*dockerAPI, error) {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}
	d := &dockerAPI{http: &http.Client{Transport: tr}}
	var v struct{ APIVersion string }
	if err := d.do(ctx, "GET", "/version", nil, nil, &v); err != nil {
		return nil, err
	}
	d.version = "v" + v.APIVersion
	return d, nil
}

// apiError is a non-2xx answer of the daemon.
type apiError struct {
	status  int
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("docker API: %d %s", e.status, e.message) }

func isNotFound(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.status == http.StatusNotFound
}

// request sends one request; the caller closes the body of a 2xx answer.
func (d *dockerAPI) request(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Response, error) {
	u := "http://docker"
	if d.version != "" {
		u += "/" + d.version
	}
	u += path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var m struct{ Message string }
		if json.Unmarshal(b, &m) != nil || m.Message == "" {
			m.Message = strings.TrimSpace(string(b))
		}
		return nil, &apiError{status: resp.StatusCode, message: m.Message}
	}
	return resp, nil
}

// do sends a JSON request (in may be nil) and decodes a JSON answer into out
// (may be nil).
func (d *dockerAPI) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	resp, err := d.request(ctx, method, path, query, body, ct)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// jsonMessage is one line of the daemon's progress streams (build, import).
type jsonMessage struct {
	Stream string `json:"stream"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

// readProgress reads a progress stream to its end, appending text to log;
// an "error" message becomes the error.
func readProgress(r io.Reader, log *strings.Builder) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonMessage
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		log.WriteString(m.Stream)
		if m.Status != "" {
			log.WriteString(m.Status + "\n")
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}

type imageInfo struct {
	Size   int64
	Config struct {
		User        string
		Entrypoint  []string
		Healthcheck *healthConfig
	}
}

func (d *dockerAPI) inspectImage(ctx context.Context, ref string) (imageInfo, error) {
	var info imageInfo
	err := d.do(ctx, "GET", "/images/"+ref+"/json", nil, nil, &info)
	return info, err
}

// build runs the classic builder on a context tar with no network; it
// returns the build's output and an error that carries it.
func (d *dockerAPI) build(ctx context.Context, contextTar io.Reader, dockerfile, tag string, args map[string]string) (string, error) {
	return d.buildWithNetwork(ctx, contextTar, dockerfile, tag, args, "none")
}

// buildWithNetwork is build with the RUN steps' network mode ("none", "host").
func (d *dockerAPI) buildWithNetwork(ctx context.Context, contextTar io.Reader, dockerfile, tag string, args map[string]string, network string) (string, error) {
	ba, err := json.Marshal(args)
	if err != nil {
		return "", err
	}
	q := url.Values{
		"dockerfile":  {dockerfile},
		"t":           {tag},
		"buildargs":   {string(ba)},
		"networkmode": {network},
		"rm":          {"1"},
		"forcerm":     {"1"},
	}
	resp, err := d.request(ctx, "POST", "/build", q, contextTar, "application/x-tar")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var log strings.Builder
	if err := readProgress(resp.Body, &log); err != nil {
		return log.String(), fmt.Errorf("docker build -f %s -t %s: %w\n%s", dockerfile, tag, err, log.String())
	}
	return log.String(), nil
}

type healthConfig struct {
	Test        []string      `json:",omitempty"`
	Interval    time.Duration `json:",omitempty"`
	Timeout     time.Duration `json:",omitempty"`
	StartPeriod time.Duration `json:",omitempty"`
	Retries     int           `json:",omitempty"`
}

type containerConfig struct {
	Image       string
	Hostname    string        `json:",omitempty"`
	Env         []string      `json:",omitempty"`
	Healthcheck *healthConfig `json:",omitempty"`
	StopTimeout *int          `json:",omitempty"`
	HostConfig  hostConfig
}

type hostConfig struct {
	NetworkMode    string
	ReadonlyRootfs bool
	Tmpfs          map[string]string `json:",omitempty"`
	Binds          []string          `json:",omitempty"`
	Memory         int64             `json:",omitempty"`
	MemorySwap     int64             `json:",omitempty"`
}

func (d *dockerAPI) createContainer(ctx context.Context, name string, cfg containerConfig) (string, error) {
	var out struct{ ID string }
	err := d.do(ctx, "POST", "/containers/create", url.Values{"name": {name}}, cfg, &out)
	return out.ID, err
}

func (d *dockerAPI) startContainer(ctx context.Context, id string) error {
	return d.do(ctx, "POST", "/containers/"+id+"/start", nil, nil, nil)
}

type containerState struct {
	Running   bool
	Pid       int
	ExitCode  int
	OOMKilled bool
	Health    *struct{ Status string }
}

type containerInfo struct {
	State containerState
}

func (d *dockerAPI) inspectContainer(ctx context.Context, id string) (containerInfo, error) {
	var info containerInfo
	err := d.do(ctx, "GET", "/containers/"+id+"/json", nil, nil, &info)
	return info, err
}

func (d *dockerAPI) killContainer(ctx context.Context, id, signal string) error {
	return d.do(ctx, "POST", "/containers/"+id+"/kill", url.Values{"signal": {signal}}, nil, nil)
}

// stopContainer is `docker stop -t seconds`: the image's stop signal, then
// SIGKILL after seconds.
func (d *dockerAPI) stopContainer(ctx context.Context, id string, seconds int) error {
	return d.do(ctx, "POST", "/containers/"+id+"/stop", url.Values{"t": {fmt.Sprint(seconds)}}, nil, nil)
}

// removeContainer removes a container and its anonymous volumes.
func (d *dockerAPI) removeContainer(ctx context.Context, id string) error {
	return d.do(ctx, "DELETE", "/containers/"+id, url.Values{"force": {"1"}, "v": {"1"}}, nil, nil)
}

// logs returns what the container wrote to stdout and stderr so far, in
// order (the stream is multiplexed: the container has no TTY).
func (d *dockerAPI) logs(ctx context.Context, id string) ([]byte, error) {
	resp, err := d.request(ctx, "GET", "/containers/"+id+"/logs", url.Values{"stdout": {"1"}, "stderr": {"1"}}, nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	err = demuxLogs(resp.Body, &out)
	return out.Bytes(), err
}

// demuxLogs copies the payloads of Docker's multiplexed log stream (frames
// of an 8-byte header — stream, 3 zero bytes, big-endian length — and the
// payload) to w.
func demuxLogs(r io.Reader, w io.Writer) error {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("log stream header: %w", err)
		}
		if hdr[0] > 2 || hdr[1] != 0 || hdr[2] != 0 || hdr[3] != 0 {
			return fmt.Errorf("log stream: bad frame header % x", hdr)
		}
		n := binary.BigEndian.Uint32(hdr[4:])
		if _, err := io.CopyN(w, r, int64(n)); err != nil {
			return fmt.Errorf("log stream frame of %d bytes: %w", n, err)
		}
	}
}

// dockerFromEnv connects to the daemon or says why not.
func dockerFromEnv(ctx context.Context) (*dockerAPI, error) {
	sock, err := dockerSocket(os.Getenv)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(sock); err != nil {
		return nil, fmt.Errorf("no Docker daemon socket: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return newDockerAPI(ctx, sock)
}

func (d *dockerAPI) removeImage(ctx context.Context, ref string) error {
	return d.do(ctx, "DELETE", "/images/"+ref, nil, nil, nil)
}
