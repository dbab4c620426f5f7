#!/usr/bin/env bash
# Builds the base, manager and node images of Otter from its release tarballs,
# with otter-entrypoint as PID 1. Run from anywhere; the build context is the
# repository root. docker/README.md explains the options.
#
#   docker/build.sh --manager manager.deployer-4.2.18.tar.gz --manager-sha256 HEX \
#                   --node node.deployer-4.2.18.tar.gz --node-sha256 HEX
#
# Every tarball is checked (present, its sha256, a gzip tar holding
# conf/otter.properties) before anything is built.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: docker/build.sh --manager FILE --manager-sha256 HEX --node FILE --node-sha256 HEX [options]
       docker/build.sh --jre-only --base-from-debootstrap

Builds otter-base, otter-manager and otter-node from Otter's release tarballs
(manager.deployer-<version>.tar.gz, node.deployer-<version>.tar.gz from
https://github.com/alibaba/otter/releases). The sha256 of each tarball is
required and checked before any image is built.

Options:
  --manager FILE, --node FILE   the release tarballs (either role may be left out)
  --manager-sha256 HEX, --node-sha256 HEX
                                their sha256 (sha256sum's first column)
  --otter-version V             the release's version, for the tags (4.2.18)
  --jre-image IMAGE             the Java image the base builds on (eclipse-temurin:8-jre)
  --base-from-debootstrap       no registry: build the Java image here from Debian
                                packages with debootstrap and docker import (needs root
                                and a Debian mirror, from /etc/apt/sources.list* or
                                OTTER_DEBIAN_MIRROR), and build otter-entrypoint with this
                                machine's Go instead of the golang image
  --jre-only                    with --base-from-debootstrap: only build that Java image
                                and print its name (what the tests use)
  --entrypoint-binary FILE      use this static otter-entrypoint instead of building one
  --tag-prefix P                image names start with P (otter-): P-base, P-manager, P-node
  --base-tag TAG                the base image's tag (8; jre17 with --base-from-debootstrap)
  --dry-run                     check the inputs, print the docker commands, build nothing
  -h, --help                    this help
EOF
}

die() { echo "docker/build.sh: $*" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

manager="" manager_sha="" node="" node_sha=""
otter_version=4.2.18
jre_image=eclipse-temurin:8-jre
debootstrap=false jre_only=false dry_run=false
entrypoint_binary="" prefix=otter- base_tag=""

while [ $# -gt 0 ]; do
  case "$1" in
    --manager) manager="${2-}"; shift ;;
    --manager-sha256) manager_sha="${2-}"; shift ;;
    --node) node="${2-}"; shift ;;
    --node-sha256) node_sha="${2-}"; shift ;;
    --otter-version) otter_version="${2-}"; shift ;;
    --jre-image) jre_image="${2-}"; shift ;;
    --base-from-debootstrap) debootstrap=true ;;
    --jre-only) jre_only=true ;;
    --entrypoint-binary) entrypoint_binary="${2-}"; shift ;;
    --tag-prefix) prefix="${2-}"; shift ;;
    --base-tag) base_tag="${2-}"; shift ;;
    --dry-run) dry_run=true ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

# ---- the Java image from Debian packages (no registry needed) ----
# What it holds: Debian's JRE 17 and what base.Dockerfile would otherwise
# install, so that the base build needs no mirror either. Its tag is a hash
# of this recipe: a changed list builds a new image, an unchanged one is
# reused.
debian_suite=bookworm
debian_packages=openjdk-17-jre-headless,aria2,bash,netcat-openbsd,tzdata,ca-certificates
jre_repo=otter-e2e-jre
jre_tag="$(printf 'v1\0%s\0minbase\0%s' "$debian_suite" "$debian_packages" | sha256sum | cut -c1-12)"

debian_mirror() {
  if [ -n "${OTTER_DEBIAN_MIRROR:-}" ]; then echo "$OTTER_DEBIAN_MIRROR"; return; fi
  local f
  # a blank line after each file: a deb822 stanza never runs into the next file
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do if [ -f "$f" ]; then cat "$f"; echo; fi; done | mirror_in_sources
}

# mirror_in_sources prints the archive of $debian_suite in the apt sources on
# stdin: one-line "deb URI suite ..." or deb822 "URIs:"/"Suites:" stanzas; not
# the security archive.
mirror_in_sources() {
  # Reads all of its input (an early exit would end the writer with SIGPIPE).
  # A deb822 stanza's fields come in any order: it is judged at its end.
  awk -v suite="$debian_suite" '
    function stanza_end() {
      if (!found && in_suite && uris != "" && uris !~ /security/) found = uris
      uris = ""; in_suite = 0
    }
    /^[[:space:]]*#/ { next }
    /^[[:space:]]*$/ { stanza_end(); next }
    /^deb[[:space:]]/ { n = 2; if ($2 ~ /^\[/) { while (n <= NF && $n !~ /\]$/) n++; n++ }
                        if (!found && $(n+1) == suite && $n !~ /security/) found = $n
                        next }
    tolower($1) == "uris:" { uris = $2 }
    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) in_suite = 1 }
    END { stanza_end(); if (found != "") print found }'
}

jre_from_debootstrap() {
  local ref="$jre_repo:$jre_tag"
  if docker image inspect "$ref" >/dev/null 2>&1; then echo "$ref"; return; fi
  command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
  [ "$(id -u)" = 0 ] || die "--base-from-debootstrap needs root (debootstrap)"
  local mirror; mirror="$(debian_mirror)"
  [ -n "$mirror" ] || die "no Debian $debian_suite mirror in /etc/apt/sources.list*; set OTTER_DEBIAN_MIRROR"
  local dir; dir="$(mktemp -d /var/tmp/otter-jre-rootfs-XXXXXX)"
  trap 'rm -rf "$dir"' RETURN
  echo "debootstrap $debian_suite ($debian_packages) from $mirror" >&2
  debootstrap --variant=minbase --include="$debian_packages" "$debian_suite" "$dir" "$mirror" >&2
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
    "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/*
  tar --numeric-owner --xattrs -C "$dir" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' - "$ref" >&2
  echo "$ref"
}

if $jre_only; then
  $debootstrap || die "--jre-only goes with --base-from-debootstrap"
  command -v docker >/dev/null || die "docker is missing"
  jre_from_debootstrap
  exit 0
fi

# ---- check the inputs before anything long ----
check_tarball() { # role file sha256
  local role="$1" file="$2" sha="$3"
  [ -n "$sha" ] || die "--$role-sha256 is required with --$role: the sha256 of $file (sha256sum's first column; see docker/README.md)"
  [[ "$sha" =~ ^[0-9a-fA-F]{64}$ ]] || die "--$role-sha256 $sha: not a sha256 (64 hex digits)"
  [ -e "$file" ] || die "the $role tarball $file does not exist: download ${role}.deployer-$otter_version.tar.gz from https://github.com/alibaba/otter/releases/tag/otter-$otter_version"
  [ -f "$file" ] || die "the $role tarball $file is not a regular file"
  local got; got="$(sha256sum "$file" | cut -d' ' -f1)"
  [ "$got" = "${sha,,}" ] || die "the $role tarball $file has sha256 $got, not $sha: a different or damaged download"
  local list
  list="$(tar -tzf "$file" 2>/dev/null)" || die "the $role tarball $file is not a gzip-compressed tar"
  grep -qE '^(\./)?conf/otter\.properties$' <<<"$list" \
    || die "the $role tarball $file has no conf/otter.properties at its top: not an Otter $role release (deployer) tarball"
  grep -qE '^(\./)?lib/' <<<"$list" || die "the $role tarball $file has no lib/: not an Otter $role release"
}
[ -n "$manager$node" ] || { usage >&2; die "give --manager and/or --node with their tarballs"; }
[ -z "$manager" ] || check_tarball manager "$manager" "$manager_sha"
[ -z "$node" ] || check_tarball node "$node" "$node_sha"
[ -z "$entrypoint_binary" ] || [ -f "$entrypoint_binary" ] || die "--entrypoint-binary $entrypoint_binary does not exist"
$dry_run || command -v docker >/dev/null || die "docker is missing (apt-get install docker.io, and a running dockerd)"

run() { echo "+ $*" >&2; $dry_run || "$@"; }

version="$(git -C "$root" describe --always --dirty 2>/dev/null || echo dev)"
dist="$root/docker/dist"
mkdir -p "$dist"
staged=()
temps=()
cleanup() { for f in "${staged[@]}"; do rm -f "$f"; done; for d in "${temps[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT
stage() { # file name: copy an input into docker/dist/ (the Dockerfiles take it from there)
  local dst="$dist/$2"
  cp -f "$1" "$dst.tmp" && mv -f "$dst.tmp" "$dst"
  staged+=("$dst")
}

base_args=()
go_args=()
if $debootstrap; then
  if $dry_run; then jre_image="$jre_repo:$jre_tag"; else jre_image="$(jre_from_debootstrap)"; fi
  if [ -z "$entrypoint_binary" ]; then
    # No golang image without a registry: build with this machine's Go.
    command -v go >/dev/null || die "--base-from-debootstrap builds otter-entrypoint with go, which is missing (or pass --entrypoint-binary)"
    temps+=("$(mktemp -d)")
    entrypoint_binary="${temps[-1]}/otter-entrypoint"
    run env -C "$root" CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=$version" -o "$entrypoint_binary" .
  fi
fi
# The base's tag names its Java: 8 for the default image, jre17 for Debian's.
if [ -z "$base_tag" ]; then if $debootstrap; then base_tag=jre17; else base_tag=8; fi; fi
base="${prefix}base:$base_tag"
base_args+=(--build-arg "JRE_IMAGE=$jre_image")
if [ -n "$entrypoint_binary" ]; then
  $dry_run || stage "$entrypoint_binary" otter-entrypoint.build
  go_args+=(--build-arg ENTRYPOINT_BINARY=otter-entrypoint.build --build-arg "GO_IMAGE=$base")
fi

run docker build -f "$root/docker/base.Dockerfile" -t "$base" "${base_args[@]}" "$root"
for role in manager node; do
  file="$manager" sha="$manager_sha"
  [ "$role" = node ] && file="$node" sha="$node_sha"
  [ -n "$file" ] || continue
  name="$role.deployer-$otter_version.build.tar.gz"
  $dry_run || stage "$file" "$name"
  run docker build -f "$root/docker/$role.Dockerfile" -t "$prefix$role:$otter_version" \
    --build-arg "BASE_IMAGE=$base" "${go_args[@]}" \
    --build-arg "OTTER_VERSION=$otter_version" --build-arg "OTTER_TARBALL=$name" \
    --build-arg "OTTER_SHA256=${sha,,}" --build-arg "ENTRYPOINT_VERSION=$version" "$root"
  echo "built $prefix$role:$otter_version" >&2
done
