# The base image for Otter's manager and node: a JRE plus what Otter runs
# besides java, built once and reused by manager.Dockerfile and node.Dockerfile.
#
#   docker build -f docker/base.Dockerfile -t otter-base:8 .
#
# - JRE_IMAGE: any Debian- or Ubuntu-based Java image. Otter 4.2.18 is built
#   for and tested on JDK 8 (the default); the entrypoint's JVM flags also
#   start it on 11-25 (e.g. eclipse-temurin:17-jre), which Otter itself does
#   not claim to support.
# - aria2 (aria2c): the node downloads pipeline data between nodes with it.
# - bash and nc: the manager runs `bash -c "echo stat | nc HOST PORT"`
#   against every ZooKeeper server it monitors.
# - tzdata: set TZ (e.g. -e TZ=Asia/Shanghai) to change Otter's log times.
# - user admin, uid 1000 and gid 1000, home /home/admin: the manager and node
#   images run as this user.
#
# Packages already in JRE_IMAGE are not installed again, so the build needs
# no package mirror when the JRE image has them all.
ARG JRE_IMAGE=eclipse-temurin:8-jre
FROM ${JRE_IMAGE}

ARG OTTER_UID=1000
ARG OTTER_GID=1000

RUN set -eu; \
    packages="aria2 bash ca-certificates netcat-openbsd tzdata"; \
    missing=""; \
    for p in $packages; do \
        dpkg-query --show --showformat='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; \
    done; \
    if [ -n "$missing" ]; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    # Ubuntu 23.04+ images (what eclipse-temurin uses) ship a user "ubuntu"
    # with uid 1000; make room for admin rather than shift its uid.
    user="$(getent passwd "$OTTER_UID" | cut -d: -f1 || true)"; \
    if [ -n "$user" ] && [ "$user" != admin ]; then userdel --remove "$user" 2>/dev/null || userdel "$user"; fi; \
    group="$(getent group "$OTTER_GID" | cut -d: -f1 || true)"; \
    if [ -n "$group" ] && [ "$group" != admin ]; then groupdel "$group"; fi; \
    getent group admin >/dev/null || groupadd --gid "$OTTER_GID" admin; \
    getent passwd admin >/dev/null || useradd --uid "$OTTER_UID" --gid "$OTTER_GID" --home-dir /home/admin --create-home --shell /bin/bash admin; \
    # Fail the build here, not at run time, when a tool Otter runs is missing.
    for tool in aria2c bash nc java; do command -v "$tool" >/dev/null || { echo "base image: $tool is not on PATH" >&2; exit 1; }; done; \
    test -e /usr/share/zoneinfo/UTC

ENV LANG=C.UTF-8 \
    TZ=UTC
