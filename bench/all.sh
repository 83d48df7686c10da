#!/usr/bin/env bash
# All benchmark tracks, then bench/RESULTS.md. Needs a Docker engine and the offline base image
# for the Docker tracks (.ci/run sets both up).
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
mkdir -p bench/results
$py bench/run.py --sandbox local --out bench/results/local.md --json-out bench/results/local.json
.venv/bin/treefix sandbox build bench/corpus/divisors >/dev/null   # corpus cases share one image
$py bench/run.py --sandbox docker --out bench/results/docker.md --json-out bench/results/docker.json
# the scaling pair runs back to back with nothing else on the machine and no overhead probes
$py bench/run.py --sandbox docker --no-overhead --extra-args "--workers 2" --out bench/results/docker-w2.md --json-out bench/results/docker-w2.json
$py bench/run.py --sandbox docker --no-overhead --extra-args "--workers 1" --out bench/results/docker-w1.md --json-out bench/results/docker-w1.json
# the local-model track: SmolLM2-135M in-process next to mutation-only (about 40 min on 2 cores)
$py scripts/fetch-local-model.py >/dev/null
$py bench/local_model.py >/dev/null
$py bench/workflow.py --runs 3 >/dev/null   # pre-commit try-repo round trip
$py bench/compose.py > bench/RESULTS.md
echo "wrote bench/RESULTS.md"
