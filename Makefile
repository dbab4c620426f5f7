# make build: a static, stripped binary, its version from git (make version-of-build prints it).
# make demo:  run the manager role against the Otter stand-in, probes on 127.0.0.1:9779.
# make test:  what CI runs (.ci/run): install what is missing (.ci/setup: Debian packages,
#             staticcheck, Go modules, dockerd), gofmt/vet/staticcheck (.ci/check), then the
#             tests of both modules. As root.
# make images ARGS='--manager ... --manager-sha256 ...': docker/build.sh (docker/README.md).

export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
OUT ?= otter-entrypoint
DEMO ?= $(CURDIR)/.cache/demo
DEMO_LISTEN ?= 127.0.0.1:9779
BIN ?= ./$(OUT)

.PHONY: build demo test setup check go-test images stop-dockerd bench

build:
	CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=$(VERSION)" -o $(OUT) .

# exec: the entrypoint replaces the recipe's shell, so it is make's own
# child. A TERM to make (which make passes to its child) or a Ctrl-C then
# reaches the entrypoint itself, which stops java; without exec the shell
# would die and leave the entrypoint and java holding their ports.
demo:
	@command -v go >/dev/null || { echo "make demo needs Go 1.26 (/usr/local/go) and a JDK: apt-get install openjdk-17-jdk-headless"; exit 1; }
	@command -v javac >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless >/dev/null; else echo "make demo needs a JDK: sudo apt-get install openjdk-17-jdk-headless"; exit 1; fi; }
	$(MAKE) build
	go run ./internal/otterstub/mkrelease -out $(DEMO)
	mkdir -p $(DEMO)/conf.d
	OTTER_HOME=$(DEMO)/manager OTTER_CONFIG_DIR=$(DEMO)/conf.d ENTRYPOINT_RENDER_DIR=$(DEMO)/render \
	ENTRYPOINT_WAIT_FOR=none ENTRYPOINT_LISTEN=$(DEMO_LISTEN) ENTRYPOINT_LOG_FORMAT=console \
	exec $(BIN) manager

test: setup check go-test

setup:
	.ci/setup

check:
	.ci/check

# Two modules: the entrypoint, and docker/ (image, manifest and monitoring
# tests, which need Kubernetes' modules that the entrypoint's build never
# downloads).
go-test:
	go test -race -count=1 -timeout 40m ./...
	cd docker && go test -race -count=1 -timeout 40m ./...

images:
	docker/build.sh $(ARGS)

# Stops the dockerd .ci/setup started, if it did.
stop-dockerd:
	@if [ -f .cache/dockerd.pid ]; then kill "$$(cat .cache/dockerd.pid)" 2>/dev/null || true; rm -f .cache/dockerd.pid; fi

bench:
	.ci/bench
