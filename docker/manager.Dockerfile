# Otter's manager on the base image, with otter-entrypoint as PID 1.
# Build context: the repository root.
#
#   docker build -f docker/base.Dockerfile -t otter-base:8 .
#   docker build -f docker/manager.Dockerfile -t otter-manager:4.2.18 \
#       --build-arg OTTER_SHA256=<sha256 of manager.deployer-4.2.18.tar.gz> .
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
ARG OTTER_URL=https://github.com/alibaba/otter/releases/download/otter-${OTTER_VERSION}/manager.deployer-${OTTER_VERSION}.tar.gz
ARG OTTER_SHA256=
ARG OTTER_TARBALL=
COPY docker/dist/ /tmp/dist/
RUN set -eu; \
    if [ -z "$OTTER_SHA256" ]; then \
        echo "OTTER_SHA256 is not set: pass --build-arg OTTER_SHA256=<sha256 of the manager tarball> (see docker/README.md)" >&2; exit 1; \
    fi; \
    if [ -n "$OTTER_TARBALL" ]; then \
        tarball="/tmp/dist/$OTTER_TARBALL"; \
    else \
        tarball=/tmp/otter.tar.gz; \
        aria2c --console-log-level=error --summary-interval=0 --download-result=hide --dir=/tmp --out=otter.tar.gz "$OTTER_URL"; \
    fi; \
    echo "$OTTER_SHA256  $tarball" | sha256sum -c -; \
    mkdir -p /home/admin/manager; \
    tar -xzf "$tarball" -C /home/admin/manager --no-same-owner; \
    test -f /home/admin/manager/conf/otter.properties; \
    # startup.sh/stop.sh are replaced by the entrypoint; keep the logs
    # directory Otter writes to, owned by the user that runs it.
    mkdir -p /home/admin/manager/logs; \
    chown -R 1000:1000 /home/admin/manager/logs; \
    rm -rf /tmp/dist /tmp/otter.tar.gz

# ---- the image ----
FROM ${BASE_IMAGE}
COPY --from=entrypoint /out/otter-entrypoint /usr/local/bin/otter-entrypoint
COPY --from=entrypoint /out/README.md /usr/share/doc/otter-entrypoint/README.md
COPY --from=release /home/admin/manager /home/admin/manager
# OTTER_CONFIG_DIR is left to its default, /etc/otter: set explicitly it
# must exist, and an image run without a mounted configuration must start.
ENV OTTER_HOME=/home/admin/manager \
    ENTRYPOINT_LISTEN=:9779
# 8080 web console (otter.port), 1099 node communication
# (otter.communication.manager.port), 9779 the entrypoint's probes and metrics.
EXPOSE 8080 1099 9779
# Otter writes its logs here; everything else can stay read-only
# (docker run --read-only --tmpfs /tmp works).
VOLUME ["/home/admin/manager/logs"]
WORKDIR /home/admin/manager
USER 1000:1000
HEALTHCHECK --interval=10s --timeout=5s --start-period=180s --retries=3 \
    CMD ["otter-entrypoint", "healthcheck", "readyz"]
ENTRYPOINT ["otter-entrypoint", "manager"]
