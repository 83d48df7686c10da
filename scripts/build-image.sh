#!/usr/bin/env bash
# Build the treefix image without network access inside the build:
#   1. a wheelhouse on the host (treefix's wheel + every dependency as wheels for the base's Python)
#   2. git's Debian packages when the base has no git and this host is Debian-like (apt-get download)
#   3. docker build with --build-arg BASE
# The image carries the model providers (not the Docker SDK: it runs the local sandbox).
# Usage: scripts/build-image.sh [BASE] [TAG]   (defaults: treefix-base:bookworm, treefix)
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-treefix-base:bookworm}"
tag="${2:-treefix}"
py="${PYTHON:-python3}"
pyver="$(docker run --rm --entrypoint python3 "$base" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
rm -rf build/wheelhouse build/debs && mkdir -p build/wheelhouse build/debs
"$py" -m pip wheel --no-deps -q -w build/wheelhouse .
"$py" -m pip download -q -d build/wheelhouse --only-binary=:all: \
  --python-version "$pyver" --implementation cp --platform manylinux2014_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
  "$(ls build/wheelhouse/treefix-*.whl)[anthropic,openai]"
if ! docker run --rm --entrypoint sh "$base" -c 'command -v git' >/dev/null 2>&1 && command -v apt-get >/dev/null; then
  have="$(docker run --rm --entrypoint sh "$base" -c 'dpkg-query -W -f="\${Package}=\${Version}\n"' | sort -u)"
  need=""
  for pkg in $(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
                 --no-replaces --no-enhances git | grep '^[a-z0-9]' | sort -u); do
    ver="$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -1)"
    [ -n "$ver" ] && ! grep -qxF "$pkg=$ver" <<<"$have" && need="$need $pkg"
  done
  (cd build/debs && apt-get download $need >/dev/null)
fi
docker build -q --build-arg BASE="$base" -t "$tag" .
echo "built $tag from $base"
