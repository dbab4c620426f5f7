# An Otter node on the base image, with otter-entrypoint as PID 1.
# Build context: the repository root.
#
#   docker build -f docker/base.Dockerfile -t otter-base:8 .
#   docker build -f docker/node.Dockerfile -t otter-node:4.2.18 \
#       --build-arg OTTER_SHA256=<sha256 of node.deployer-4.2.18.tar.gz> .
#
# Build arguments (see docker/README.md):
#   BASE_IMAGE          the image from base.Dockerfile (otter-base:8)
#   GO_IMAGE            the Go toolchain image that builds otter-entrypoint
#   OTTER_VERSION       the Otter release (4.2.18)
#   OTTER_URL           where the release tarball is downloaded from
#   OTTER_SHA256        the tarball's sha256, required: the build stops without it
#   OTTER_TARBALL       a tarball in docker/dist/ to use instead of downloading
#   ENTRYPOINT_BINARY   a prebuilt static otter-entrypoint in docker/dist/ to use
#                       instead of building one (GO_IMAGE then only needs sh)
#   ENTRYPOINT_VERSION  the version otter-entrypoint reports

ARG BASE_IMAGE=otter-base:8
ARG GO_IMAGE=golang:1.26-bookworm

# ---- otter-entrypoint: a static binary built from this repository ----
FROM ${GO_IMAGE} AS entrypoint
ARG ENTRYPOINT_BINARY=
ARG ENTRYPOINT_VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN if [ -z "$ENTRYPOINT_BINARY" ]; then go mod download; fi
COPY . .
RUN set -eu; mkdir -p /out; \
    if [ -n "$ENTRYPOINT_BINARY" ]; then \
        cp "docker/dist/$ENTRYPOINT_BINARY" /out/otter-entrypoint; \
    else \
        CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=$ENTRYPOINT_VERSION" -o /out/otter-entrypoint .; \
    fi; \
    chmod 0755 /out/otter-entrypoint; \
    # The README the binary was built with (help names this copy).
    /out/otter-entrypoint help readme >/out/README.md

# ---- the Otter release, checksum verified ----
FROM ${BASE_IMAGE} AS release
USER root
ARG OTTER_VERSION=4.2.18
ARG OTTER_URL=https://github.com/alibaba/otter/releases/download/otter-${OTTER_VERSION}/node.deployer-${OTTER_VERSION}.tar.gz
ARG OTTER_SHA256=
ARG OTTER_TARBALL=
COPY docker/dist/ /tmp/dist/
RUN set -eu; \
    if [ -z "$OTTER_SHA256" ]; then \
        echo "OTTER_SHA256 is not set: pass --build-arg OTTER_SHA256=<sha256 of the node tarball> (see docker/README.md)" >&2; exit 1; \
    fi; \
    if [ -n "$OTTER_TARBALL" ]; then \
        tarball="/tmp/dist/$OTTER_TARBALL"; \
    else \
        tarball=/tmp/otter.tar.gz; \
        aria2c --console-log-level=error --summary-interval=0 --download-result=hide --dir=/tmp --out=otter.tar.gz "$OTTER_URL"; \
    fi; \
    echo "$OTTER_SHA256  $tarball" | sha256sum -c -; \
    mkdir -p /home/admin/node; \
    tar -xzf "$tarball" -C /home/admin/node --no-same-owner; \
    test -f /home/admin/node/conf/otter.properties; \
    # startup.sh/stop.sh are replaced by the entrypoint. The node writes
    # logs/, htdocs/ (files it serves to other nodes) and download/ (what
    # aria2c fetches); extend/ holds optional user classes and stays read-only.
    mkdir -p /home/admin/node/logs/node /home/admin/node/htdocs /home/admin/node/download /home/admin/node/extend; \
    chown -R 1000:1000 /home/admin/node/logs /home/admin/node/htdocs /home/admin/node/download; \
    rm -rf /tmp/dist /tmp/otter.tar.gz

# ---- the image ----
FROM ${BASE_IMAGE}
COPY --from=entrypoint /out/otter-entrypoint /usr/local/bin/otter-entrypoint
COPY --from=entrypoint /out/README.md /usr/share/doc/otter-entrypoint/README.md
COPY --from=release /home/admin/node /home/admin/node
# OTTER_CONFIG_DIR is left to its default, /etc/otter: set explicitly it
# must exist, and an image run without a mounted configuration must start.
ENV OTTER_HOME=/home/admin/node \
    ENTRYPOINT_LISTEN=:9779
# The node's ports are not in any file: they are the ones entered for this
# node in the manager (Machine management). 2088 node port (RPC), 2089
# downloadPort (HTTP pipe), 2090 mbeanPort (JMX) are the customary ones;
# 9779 the entrypoint's probes and metrics.
EXPOSE 2088 2089 2090 9779
# Otter writes only here; everything else can stay read-only
# (docker run --read-only --tmpfs /tmp works).
VOLUME ["/home/admin/node/logs", "/home/admin/node/htdocs", "/home/admin/node/download"]
WORKDIR /home/admin/node
USER 1000:1000
HEALTHCHECK --interval=10s --timeout=5s --start-period=180s --retries=3 \
    CMD ["otter-entrypoint", "healthcheck", "readyz"]
ENTRYPOINT ["otter-entrypoint", "node"]
