# make demo: run the manager role against the Otter stand-in, probes on 127.0.0.1:9779.
# make test: the test command CI runs (as root, with a JDK and Docker; see README).
# make build: a static, stripped binary.

DEMO ?= $(CURDIR)/.cache/demo
DEMO_LISTEN ?= 127.0.0.1:9779
BIN ?= ./otter-entrypoint

.PHONY: build demo test bench

build:
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o otter-entrypoint .

# exec: the entrypoint replaces the recipe's shell, so it is make's own
# child. A TERM to make (which make passes to its child) or a Ctrl-C then
# reaches the entrypoint itself, which stops java; without exec the shell
# would die and leave the entrypoint and java holding their ports.
demo: build
	go run ./internal/otterstub/mkrelease -out $(DEMO)
	mkdir -p $(DEMO)/conf.d
	OTTER_HOME=$(DEMO)/manager OTTER_CONFIG_DIR=$(DEMO)/conf.d ENTRYPOINT_RENDER_DIR=$(DEMO)/render \
	ENTRYPOINT_WAIT_FOR=none ENTRYPOINT_LISTEN=$(DEMO_LISTEN) ENTRYPOINT_LOG_FORMAT=console \
	exec $(BIN) manager

# Two modules: the entrypoint, and docker/ (image and manifest tests, which
# need Kubernetes' modules that the entrypoint's build never downloads).
test:
	go test -race -count=1 -timeout 40m ./...
	cd docker && go test -race -count=1 -timeout 40m ./...

bench:
	.ci/bench
