#!/usr/bin/env bash
# Builds the offline sandbox base image (no registry needed): Debian bookworm from the Debian
# mirror with debootstrap, python3 + pip + venv + pytest + coverage, imported as treefix-base:bookworm.
set -euo pipefail
tag="${1:-treefix-base:bookworm}"
mirror="${TREEFIX_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag already present"; exit 0
fi
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
root="$(mktemp -d /tmp/treefix-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase \
  --include=python3,python3-pip,python3-venv,python3-pytest,python3-coverage,procps \
  bookworm "$root" "$mirror" >/dev/null
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
mkdir -p "$root/work" && chmod 755 "$root/work"
tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$tag" >/dev/null
echo "built $tag"
