# treefix itself as a container image:
#   scripts/build-image.sh [BASE]          # wheelhouse on the host, then docker build (offline inside)
#   docker run --rm -v "$PWD:/repo" treefix repair /repo
# BASE is any Debian-like image with python3 and venv: python:3.12-slim where a registry is
# reachable, the offline treefix-base:bookworm (sandbox/build-offline-base.sh) where it is not.
# pip never reaches an index during the build: everything comes from the wheelhouse built on the
# host (build/wheelhouse), which also serves air-gapped hosts.
ARG BASE=python:3.12-slim
FROM ${BASE}
COPY build/wheelhouse/ /tmp/wheelhouse/
COPY build/debs/ /tmp/debs/
RUN set -e; \
    if ! command -v git >/dev/null; then \
      if ls /tmp/debs/*.deb >/dev/null 2>&1; then dpkg -i /tmp/debs/*.deb >/dev/null; \
      else apt-get update -qq && apt-get install -y -qq --no-install-recommends git >/dev/null \
           && rm -rf /var/lib/apt/lists/*; fi; \
    fi; \
    git --version; \
    git config --system safe.directory '*'; \
    python3 -m venv /opt/treefix; \
    /opt/treefix/bin/pip install --no-index --find-links /tmp/wheelhouse --disable-pip-version-check -q 'treefix[anthropic,openai]'; \
    rm -rf /tmp/wheelhouse /tmp/debs
ENV PATH=/opt/treefix/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    TREEFIX_SANDBOX=local
WORKDIR /repo
ENTRYPOINT ["treefix"]
CMD ["--help"]
