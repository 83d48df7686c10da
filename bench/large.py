"""The large-project track (issue 13): treefix with default flags on a real project of thousands
of tests, with five injected bugs of different kinds in five modules.

    .venv/bin/python bench/large.py [--only N [N ...]] [--out bench/results/large.md] [--python PY]
                                    [--docker]

--python PY builds the project's virtualenvs with another interpreter (e.g. pyenv's 3.12, whose
sys.monitoring lets treefix trace every test in the one baseline run); its trees live beside the
default ones (`clean-py3.12`, `bug1-py3.12`, ...).

Project: networkx 3.2.1 from its PyPI sdist (560 Python files: 279 library modules and 281 test
modules; ~4,400 tests, ~65 CPU seconds of suite here), in its own virtualenv `.venv` inside the
project with the pytest of its era (7.4; pytest 8 fails one of its tests), as a user's checkout
would be. Everything is built under bench/.work/large/ (git-ignored); only this script and the
results are committed. Each bug is one exact replacement in one module (BUGS below: reproducible,
checked to apply once); per bug, a fresh git repo of the buggy tree and `treefix repair REPO --json`
with no other flag but `--sandbox local` (without it, `auto` picks Docker once `--docker` or the
user has built the project's image).

--docker runs each repair in the Docker sandbox, set up the README's way: `treefix sandbox build
REPO` (once for the clean tree; per bug it must answer "up to date" with the same tag, since the
image holds the project venv's packages, not the project), then the same `treefix repair REPO
--json` with no flag (`--sandbox auto` picks the built image; a row says so if it did not). The
bare suite and the fix check run in a container of that image too (1 CPU, as a worker's; the
suite's CPU read from the container's cgroup, as treefix reads its workers' baseline), and
the peak memory column adds the largest of the run's containers (cgroup max usage, sampled).

Reported per bug: fixed (validated by treefix, then checked here: the full suite passes with the
patch), time to the validated fix, evaluations, peak memory of treefix's process tree; and once:
the bare suite time vs the baseline with per-test coverage (treefix's own figure: above
trace-max-tests the untraced whole-suite run plus the traced subset, see pipeline/traced.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

from treefix.sandbox.docker import CPU_COUNTERS, cgroup_cpu_seconds

BENCH = Path(__file__).resolve().parent
WORK = BENCH / ".work" / "large"
SDIST = "networkx==3.2.1"
PYTEST = "pytest==7.4.4"
TREEFIX = str(Path(sys.executable).parent / "treefix")

# (module, exact original text, buggy text, kind)
BUGS = [
    (
        "networkx/classes/function.py",
        "    d = m / (n * (n - 1))\n",
        "    d = m / (n * (n + 1))\n",
        "arithmetic off-by-one",
    ),
    (
        "networkx/algorithms/isolate.py",
        "    return G.degree(n) == 0\n",
        "    return G.degree(n) == 1\n",
        "wrong constant",
    ),
    (
        "networkx/algorithms/dag.py",
        "    return G.is_directed() and not has_cycle(G)\n",
        "    return G.is_directed() and has_cycle(G)\n",
        "negation dropped",
    ),
    (
        "networkx/algorithms/shortest_paths/generic.py",
        "    except nx.NetworkXNoPath:\n        return False\n",
        "    except nx.NetworkXNoPath:\n        return True\n",
        "wrong boolean literal",
    ),
    (
        "networkx/algorithms/boundary.py",
        "(e[1] in nset1 and e[0] in nset2)",
        "(e[1] in nset1 and e[0] in nset1)",
        "wrong variable",
    ),
]


def sh(argv: list[str], cwd: Path | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, check=True, text=True, capture_output=True, **kw)


def _tag(py: str) -> str:
    """ "" for treefix's own interpreter, else "-py3.12": the trees built with `py` apart."""
    if py == sys.executable:
        return ""
    code = "import sys; print('%d.%d' % sys.version_info[:2])"
    return "-py" + subprocess.run([py, "-c", code], text=True, capture_output=True).stdout.strip()


def fetch(py: str = sys.executable) -> Path:
    """The sdist, extracted once; its clean tree with the era's venv (built by `py`)."""
    clean = WORK / f"clean{_tag(py)}"
    if (clean / ".venv" / "bin" / "python").exists():
        return clean
    WORK.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip"]
    sh([*pip, "download", "-q", SDIST, "--no-deps", "--no-binary", ":all:", "-d", str(WORK)])
    archive = next(WORK.glob("networkx-*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(WORK, filter="data")
    shutil.rmtree(clean, ignore_errors=True)
    next(p for p in WORK.glob("networkx-*") if p.is_dir()).rename(clean)
    sh([py, "-m", "venv", str(clean / ".venv")])
    sh([str(clean / ".venv/bin/python"), "-m", "pip", "install", "-q", PYTEST])
    return clean


def make_bug(clean: Path, index: int, py: str = sys.executable) -> Path:
    path, good, bad, _ = BUGS[index]
    repo = WORK / f"bug{index + 1}{_tag(py)}"
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(clean, repo, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    # the venv's scripts name their own folder: a fresh one per repo, as a user would have
    sh([py, "-m", "venv", str(repo / ".venv")])
    sh([str(repo / ".venv/bin/python"), "-m", "pip", "install", "-q", PYTEST])
    source = (repo / path).read_text()
    if source.count(good) != 1:
        raise SystemExit(f"bug {index + 1}: the original text occurs {source.count(good)} times")
    (repo / path).write_text(source.replace(good, bad))
    (repo / ".gitignore").write_text(".venv/\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    sh(["git", "init", "-q"], cwd=repo)
    sh(["git", "add", "-A"], cwd=repo)
    sh([*git, "commit", "-qm", "buggy"], cwd=repo)
    return repo


def build_image(repo: Path) -> tuple[str, float, bool]:
    """`treefix sandbox build REPO`: (tag, seconds, True when it built rather than found it)."""
    start = time.perf_counter()
    out = subprocess.run([TREEFIX, "sandbox", "build", str(repo)], text=True, capture_output=True)
    if out.returncode != 0:
        raise SystemExit(f"treefix sandbox build {repo} failed: {out.stderr.strip()[-500:]}")
    return out.stdout.split()[-1], time.perf_counter() - start, "up to date" not in out.stderr


def docker_suite_time(repo: Path, image: str) -> tuple[float, int]:
    """The bare suite in a container of the project image, as a worker's (1 CPU, 2 GiB, no
    network, uid 1000, no bytecode written): the tree goes in as a tar on stdin."""
    excluded = ["--exclude=./.venv", "--exclude=./.git", "--exclude=./.treefix"]
    tar = subprocess.Popen(
        ["tar", "-C", str(repo), *excluded, "-c", "."],
        stdout=subprocess.PIPE,
    )
    # the container's CPU from its cgroup at the end, as treefix reads a worker's (the last line)
    script = (
        "mkdir /tmp/p && tar -x -C /tmp/p && cd /tmp/p && python3 -m pytest -q -p no:cacheprovider"
        f"; rc=$?; echo; cat {CPU_COUNTERS} 2>/dev/null | tr '\\n' ' '; exit $rc"
    )
    start = time.perf_counter()
    out = subprocess.run(
        [
            *["docker", "run", "--rm", "-i", "--network", "none", "--cpus", "1"],
            *["--memory", "2g", "--user", "1000:1000", "-e", "PYTHONDONTWRITEBYTECODE=1"],
            *[image, "sh", "-c", script],
        ],
        stdin=tar.stdout,
        text=True,
        capture_output=True,
    )
    tar.wait()
    lines = out.stdout.rstrip("\n").splitlines()
    cpu = cgroup_cpu_seconds(lines[-1]) if lines else None
    if cpu is not None:
        BARE_CPU[:] = [cpu]
    return time.perf_counter() - start, out.returncode


class ContainerPeak:
    """The largest memory use (cgroup v1 max_usage) of the containers a treefix process started,
    sampled every 2 s until stop(); 0 when the cgroup files are not readable here."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(2.0):
            ids = subprocess.run(
                ["docker", "ps", "-q", "--no-trunc", "--filter", f"label=treefix.pid={self.pid}"],
                text=True,
                capture_output=True,
            ).stdout.split()
            for cid in ids:
                path = Path(f"/sys/fs/cgroup/memory/docker/{cid}/memory.max_usage_in_bytes")
                try:
                    self.peak = max(self.peak, int(path.read_text()))
                except (OSError, ValueError):
                    pass

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return round(self.peak / (1 << 20), 1)


# the bare suite's CPU seconds (user + system), when this invocation ran it on the host
BARE_CPU: list[float] = []


def suite_time(repo: Path) -> tuple[float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(
        [str(repo / ".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        text=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    BARE_CPU[:] = [after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime]
    return wall, out.returncode


def repair(repo: Path, extra: list[str] | None = None) -> dict:
    load_start = os.getloadavg()[0]  # a shared machine: the load says what a wall time means
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [TREEFIX, "repair", str(repo), "--json", *(extra or [])],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak = ContainerPeak(proc.pid)
    stdout, stderr = proc.communicate()
    out = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    wall = time.perf_counter() - start
    containers_mib = peak.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        report = json.loads(out.stdout)
    except ValueError:
        report = {"status": "no report", "message": out.stderr[-2000:]}
    return {
        "exit": out.returncode,
        "wall_s": round(wall, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        # treefix's own figure for this run (ru_maxrss of our children is a max over every bug)
        "peak_rss_mib": report.get("peak_rss_mb"),
        # the largest sandbox container's (Docker sandbox; 0 for the local one)
        "container_peak_mib": containers_mib,
        "load_1min": [round(load_start, 1), round(os.getloadavg()[0], 1)],  # at start, at end
        "report": report,
    }


def check_fix(repo: Path, patch: str, image: str = "") -> bool:
    """The patch applied to a fresh copy of the buggy tree: the whole suite passes (in a
    container of `image` when given)."""
    copy = repo.with_name(repo.name + "-check")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(repo, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv", ".treefix"))
    os.symlink(repo / ".venv", copy / ".venv")
    subprocess.run(["git", "apply", "-"], cwd=copy, input=patch, text=True, check=True)
    _, rc = docker_suite_time(copy, image) if image else suite_time(copy)
    shutil.rmtree(copy, ignore_errors=True)
    return rc == 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", type=int, nargs="*", default=[], help="bug numbers 1-5 (none: all)")
    ap.add_argument("--out", default=str(BENCH / "results" / "large.md"))
    ap.add_argument(
        "--bare",
        type=float,
        default=0.0,
        help="the bare suite's seconds from an earlier invocation at a similar load (not re-run)",
    )
    ap.add_argument("--python", default=sys.executable, help="interpreter of the project's venvs")
    ap.add_argument("--docker", action="store_true", help="the Docker sandbox (see the docstring)")
    ap.add_argument(
        "--repair-args",
        default="",
        help="extra `treefix repair` flags (e.g. '--runner cold' for the cold/warm comparison)",
    )
    args = ap.parse_args()
    if args.docker and args.out == ap.get_default("out"):
        args.out = str(BENCH / "results" / "large-docker.md")
    clean = fetch(args.python)
    image, image_s = "", 0.0
    if args.docker:
        image, image_s, built = build_image(clean)
        print(f"image {image}: {'built' if built else 'found'} in {image_s:.1f} s", file=sys.stderr)
    if args.bare > 0:
        bare, rc = args.bare, 0
    else:
        bare, rc = docker_suite_time(clean, image) if image else suite_time(clean)
    bare_cpu = BARE_CPU[0] if BARE_CPU else 0.0  # the host's children, or the container's cgroup
    if rc != 0:
        raise SystemExit(f"the clean suite does not pass here (exit {rc})")
    rows = []
    for i in [n - 1 for n in args.only] if args.only else range(len(BUGS)):
        repo = make_bug(clean, i, args.python)
        if image:  # the bug's own build: the same tag (found, not built) unless the venv differs
            tag, seconds, built = build_image(repo)
            image_row = {"image": tag, "image_s": round(seconds, 1), "image_built": built}
            image_row["image_same_as_clean"] = tag == image
        else:
            image_row = {}
        # the local track names its sandbox: once the project image is built (the same tag for
        # every bug: it holds the venv's packages), `auto` would pick Docker
        res = repair(repo, [*([] if image else ["--sandbox", "local"]), *args.repair_args.split()])
        res.update(image_row)
        rep = res["report"]
        fix = rep.get("fix") or {}
        checked_in = image_row.get("image", "")
        res["checked"] = bool(fix.get("patch")) and check_fix(repo, fix["patch"], checked_in)
        timings = rep.get("timings", {})
        rows.append({"bug": i + 1, "module": BUGS[i][0], "kind": BUGS[i][3], **res})
        print(
            f"bug {i + 1} ({BUGS[i][3]}): {rep.get('status')} in {res['wall_s']} s, "
            f"checked {res['checked']}, baseline {timings.get('baseline_duration')}",
            file=sys.stderr,
        )
        # the report of every bug so far (a long track may be stopped); the run folder is kept
        (Path(args.out).with_suffix(".json")).write_text(json.dumps(rows, indent=1, default=str))
        keep = WORK / "runs" / f"bug{i + 1}{_tag(args.python)}{'-docker' if image else ''}"
        shutil.rmtree(keep, ignore_errors=True)
        if (repo / ".treefix").is_dir():
            shutil.copytree(repo / ".treefix", keep)
        shutil.rmtree(repo, ignore_errors=True)
    version = subprocess.run([args.python, "--version"], text=True, capture_output=True).stdout
    where = f"image {image} (built or found in {image_s:.1f} s)" if image else ""
    text = render(rows, bare, version.strip(), where, args.repair_args, bare_cpu)
    Path(args.out).write_text(text)
    print(text)


def render(
    rows: list[dict],
    bare: float,
    version: str = "",
    image: str = "",
    flags: str = "",
    bare_cpu: float = 0.0,
) -> str:
    load = os.getloadavg()[0]
    place = f"a container of the {image}, 1 CPU" if image else f"the project's venv, {version}"
    lines = [
        "# Large-project track (networkx 3.2.1, 5 injected bugs, default flags)",
        "",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {load:.1f} "
        f"on {os.cpu_count()} cores (shared machine: wall times are upper bounds)",
        f"- bare suite (`pytest -q`, {place}): {bare:.0f} s wall"
        + (f", {bare_cpu:.0f} s CPU" if bare_cpu else ""),
        f"- flags: `treefix repair REPO --json {flags}`" if flags else "- flags: none (defaults)",
        "- baseline / bare CPU: the CPU seconds of the baseline's test processes (report.json "
        "`timings.baseline_cpu`; in Docker the containers' cgroups) over the bare suite's, both "
        "measured in this "
        "invocation: unlike the wall ratio, it does not move with the machine's load",
        "",
        "| bug | module | kind | sandbox | status | checked here | wall s | evaluations | baseline s "
        "| baseline / bare | baseline / bare CPU | tests traced "
        "| peak RSS MiB (treefix; largest container) | limits chosen |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rep = r["report"]
        search = rep.get("search") or {}
        base = (rep.get("timings") or {}).get("baseline_duration")
        ratio = f"{base / bare:.2f}" if isinstance(base, int | float) and bare else "-"
        limits = rep.get("limits") or {}
        lim = ", ".join(f"{k} {v}" for k, v in limits.items() if isinstance(v, int | float))
        bl = rep.get("baseline") or {}
        traced = bl.get("traced_tests")
        traced_cell = f"{traced} of {bl.get('tests')}" if traced is not None else "all"
        cpu = (rep.get("timings") or {}).get("baseline_cpu")
        cpu_ratio = f"{cpu / bare_cpu:.2f}" if isinstance(cpu, int | float) and bare_cpu else "-"
        sandbox = (rep.get("sandbox") or {}).get("kind", "-")
        if r.get("image"):
            how = "built" if r["image_built"] else "found"
            sandbox += f" (image {how} in {r['image_s']} s)"
        peak = f"{r['peak_rss_mib']}; {r.get('container_peak_mib') or '-'}"
        lines.append(
            f"| {r['bug']} | `{r['module']}` | {r['kind']} | {sandbox} | {rep.get('status')} | "
            f"{'yes' if r['checked'] else 'no'} | {r['wall_s']} | {search.get('evaluations', '-')} "
            f"| {base if base is not None else '-'} | {ratio} | {cpu_ratio} | {traced_cell} | {peak} "
            f"| {lim} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
