"""The large-repository track of the context oracle: networkx 3.4.2 (650 Python files in its sdist,
from PyPI) with one-line bugs injected by this script, each with the test module that catches it.

    python bench/large_repo.py [--dest bench/.work/large]   # lists the cases it built

The sdist is fetched once with `pip download` into bench/.work/large/ (git-ignored); each case is
a fresh copy of the tree with one bug written in. The reference fix is the injection reversed.
Every injection is checked: its `old` text must occur exactly once, and the test module must
fail on the injected tree (bench/context_tracks.py runs it).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SDIST = "networkx==3.4.2"
ROOT_NAME = "networkx-3.4.2"


@dataclass(frozen=True)
class Injection:
    id: str
    path: str  # file the bug goes into
    old: str  # the original text (occurs once)
    new: str  # the buggy text
    tests: str  # the test module that fails with the bug

    @property
    def test_cmd(self) -> str:
        return f"{{python}} -m pytest -q -p no:cacheprovider {self.tests}"


INJECTIONS = [
    Injection(
        "nx-density-directed",
        "networkx/classes/function.py",
        "    if not G.is_directed():\n        d *= 2\n",
        "    if G.is_directed():\n        d *= 2\n",
        "networkx/classes/tests/test_function.py",
    ),
    Injection(
        "nx-cycle-graph-open",
        "networkx/generators/classic.py",
        "G.add_edges_from(pairwise(nodes, cyclic=True))",
        "G.add_edges_from(pairwise(nodes, cyclic=False))",
        "networkx/generators/tests/test_classic.py",
    ),
    Injection(
        "nx-average-clustering",
        "networkx/algorithms/cluster.py",
        "    return sum(c) / len(c)\n",
        "    return sum(c) / (len(c) + 1)\n",
        "networkx/algorithms/tests/test_cluster.py",
    ),
    Injection(
        "nx-dag-undirected",
        "networkx/algorithms/dag.py",
        "    return G.is_directed() and not has_cycle(G)\n",
        "    return not has_cycle(G)\n",
        "networkx/algorithms/tests/test_dag.py",
    ),
    Injection(
        "nx-is-connected",
        "networkx/algorithms/components/connected.py",
        "    return sum(1 for node in _plain_bfs(G, n, arbitrary_element(G))) == len(G)\n",
        "    return sum(1 for node in _plain_bfs(G, n, arbitrary_element(G))) == len(G) - 1\n",
        "networkx/algorithms/components/tests/test_connected.py",
    ),
    # a module-level default: run at import, never by the failing test (the spectrum misses it)
    Injection(
        "nx-lukes-default-node-weight",
        "networkx/algorithms/community/lukes.py",
        "D_NODE_VALUE = 1\n",
        "D_NODE_VALUE = 0\n",
        "networkx/algorithms/community/tests/test_lukes.py",
    ),
]


def source_tree(dest: Path) -> Path:
    """The unpacked sdist (downloaded on first use)."""
    tree = dest / ROOT_NAME
    if tree.is_dir():
        return tree
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / f"{ROOT_NAME}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
            + ["-d", str(dest), SDIST],
            check=True,
        )
    with tarfile.open(archive) as tf:
        tf.extractall(dest, filter="data")
    return tree


def build_case(inj: Injection, tree: Path, where: Path) -> tuple[Path, str]:
    """A copy of the tree with the bug written in; (the copy, the reference fix as a patch)."""
    import difflib

    proj = where / inj.id
    shutil.copytree(tree, proj, ignore=shutil.ignore_patterns("__pycache__"))
    target = proj / inj.path
    text = target.read_text(encoding="utf-8")
    if text.count(inj.old) != 1:
        raise SystemExit(f"{inj.id}: the text to replace occurs {text.count(inj.old)} times")
    buggy = text.replace(inj.old, inj.new)
    target.write_text(buggy, encoding="utf-8")
    patch = "".join(
        difflib.unified_diff(
            buggy.splitlines(keepends=True),
            text.splitlines(keepends=True),
            f"a/{inj.path}",
            f"b/{inj.path}",
        )
    )
    return proj, patch


def python_files(tree: Path) -> int:
    return sum(1 for _ in tree.rglob("*.py"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dest", default=str(BENCH / ".work" / "large"))
    args = ap.parse_args()
    tree = source_tree(Path(args.dest))
    print(f"{tree}: {python_files(tree)} Python files")
    for inj in INJECTIONS:
        print(f"{inj.id}: {inj.path} ({inj.tests})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
