"""Cases 24-25 of the adversarial suite: awkward paths and awkward files, through the CLI.

24 a project folder and files named with NFC and NFD unicode, spaces, a newline, a leading dash
and very long names; 25 binary files, CRLF under core.autocrlf, executable bits, a submodule, and
a 10,000-file repository (copy time bounded, shown as progress). Each run repairs the project and
writes the fix back; everything else must come out byte-identical.
"""

from __future__ import annotations

import os
import subprocess
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from tests.adversarial.host import HostState
from tests.adversarial.repo_helpers import (
    BUGGY_LINE,
    FIXED_LINE,
    invoke,
    one_error_line,
    private_tmp,
    unchanged,
)
from tests.conftest import BUGGY, git, init_repo, write_tree

NFC = unicodedata.normalize("NFC", "café")
NFD = unicodedata.normalize("NFD", "café")
assert NFC != NFD  # two different names on Linux


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    private_tmp(tmp_path, monkeypatch)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def _names(root: Path, ref: str) -> set[str]:
    out = subprocess.run(
        ["git", "ls-tree", "-r", "-z", "--name-only", ref],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return {n.decode("utf-8", "surrogateescape") for n in out.split(b"\0") if n}


def _passed(report: dict, test: str) -> bool:
    """The baseline ran `test` and it passed (the report lists the failing ones and counts)."""
    base = report["baseline"]
    failing = {f["id"] for f in base["failing"]}
    return test not in failing and base["passed"] == base["tests"] - len(failing)


# -- 24: awkward paths ---------------------------------------------------------------------------

AWKWARD = {
    f"data/{NFC}.txt": "nfc\n",
    f"data/{NFD}.txt": "nfd\n",
    "data/with space.txt": "space\n",
    "data/-leading-dash.txt": "dash\n",
    "data/new\nline.txt": "newline\n",
    "data/" + "L" * 251 + ".txt": "long name\n",  # 255 bytes, the most a name may have
    "/".join(["data", *["d" * 200] * 4, "deep.txt"]): "deep\n",  # a path of over 800 bytes
}
READS_THEM = (
    "import os\n\n\ndef test_every_awkward_file_is_in_the_sandbox():\n"
    "    root = os.path.join(os.path.dirname(__file__), '..', 'data')\n"
    "    seen = {}\n"
    "    for d, _, files in os.walk(root):\n"
    "        for f in files:\n"
    "            with open(os.path.join(d, f)) as fh:\n"
    "                seen[os.path.relpath(os.path.join(d, f), root)] = fh.read()\n"
    f"    assert seen == { ({k.removeprefix('data/'): v for k, v in AWKWARD.items()})!r}\n"
)


LIB = f"-lib {NFD}"  # the buggy package lives in a folder named with a dash, a space and NFD


def test_24_awkward_paths_are_repaired_and_kept(tmp_path):
    folder = tmp_path / f"-a folder with space, {NFD} and a\nnewline"
    files = {f"{LIB}/{k}" if k.startswith("shop/") else k: v for k, v in BUGGY.items()}
    files["conftest.py"] = (
        f"import os, sys\n\nsys.path.insert(0, os.path.join(os.path.dirname(__file__), {LIB!r}))\n"
    )
    root = init_repo(write_tree(folder, {**files, **AWKWARD, "tests/test_data.py": READS_THEM}))
    cart = f"{LIB}/shop/cart.py"
    before = HostState.capture(root)
    result, report = invoke(root, "--apply")
    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed" and report["fix"]["applied"] == [cart]
    # the awkward files reached the sandbox (their test passed in the baseline) ...
    assert _passed(report, "tests/test_data.py::test_every_awkward_file_is_in_the_sandbox")
    # ... are in the snapshot ref under their exact bytes, and are untouched on disk
    assert set(AWKWARD) <= _names(root, report["snapshot"]["ref"])
    unchanged(before, HostState.capture(root), except_files={cart})
    assert FIXED_LINE in (root / cart).read_text()
    assert Path(report["run_dir"]).parent.parent.parent == root  # the run folder is in it too


# -- 25: binary, CRLF + autocrlf, executable bits ------------------------------------------------

BLOB = bytes(range(256)) * 16 + b"\r\n\0\r\r\n\xff\xfe"


def test_25_binary_crlf_autocrlf_and_exec_bits_are_preserved(tmp_path):
    files = {
        **BUGGY,
        "tests/test_blob.py": (
            "import hashlib, os\n\n\ndef test_blob_intact():\n"
            "    p = os.path.join(os.path.dirname(__file__), '..', 'data', 'blob.bin')\n"
            f"    assert hashlib.sha256(open(p, 'rb').read()).hexdigest() == {__import__('hashlib').sha256(BLOB).hexdigest()!r}\n"
        ),
    }
    root = write_tree(tmp_path / "r", files)
    crlf = BUGGY["shop/cart.py"].replace("\n", "\r\n").encode()
    (root / "shop/cart.py").write_bytes(crlf)
    os.chmod(root / "shop/cart.py", 0o755)
    (root / "data").mkdir()
    (root / "data/blob.bin").write_bytes(BLOB)
    (root / "run.sh").write_text("#!/bin/sh\necho hi\n")
    os.chmod(root / "run.sh", 0o755)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "core.autocrlf", "true")  # CRLF on disk, LF in the repository
    (root / ".gitattributes").write_text("*.bin binary\n")
    init_repo(root)
    head = git(root, "rev-parse", "HEAD").strip()
    assert git(root, "status", "--porcelain") == ""
    before = HostState.capture(root)
    result, report = invoke(root, "--commit")
    assert result.exit_code == 0, result.output
    # --commit moves HEAD and the fixed file's index entry on purpose; nothing else changes
    blank = {"index": "", "refs": "", "head": ""}
    after = HostState.capture(root)
    unchanged(replace(before, **blank), replace(after, **blank), except_files={"shop/cart.py"})
    on_disk = (root / "shop/cart.py").read_bytes()
    assert on_disk == crlf.replace(
        BUGGY_LINE.replace("\n", "\r\n").encode(), FIXED_LINE.replace("\n", "\r\n").encode()
    )
    assert os.stat(root / "shop/cart.py").st_mode & 0o777 == 0o755
    assert (root / "data/blob.bin").read_bytes() == BLOB
    # the commit holds the fix alone, LF-normalised as autocrlf wants, mode kept
    assert git(root, "rev-parse", "HEAD^").strip() == head
    assert git(root, "diff", "--name-only", "HEAD^", "HEAD").split() == ["shop/cart.py"]
    committed = git(root, "show", "HEAD:shop/cart.py")
    assert "\r" not in committed and FIXED_LINE in committed
    assert git(root, "ls-tree", "HEAD", "shop/cart.py").startswith("100755")
    assert git(root, "status", "--porcelain") == ""  # tree, index and HEAD agree


# -- 25: a submodule -----------------------------------------------------------------------------


def test_25_a_submodule_is_copied_for_the_tests_and_never_edited(tmp_path):
    lib = init_repo(
        write_tree(tmp_path / "lib", {"lib/__init__.py": "", "lib/helper.py": "ONE = 1\n"})
    )
    uses_lib = (
        "import os, sys\n\n"
        "sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'vendor'))\n"
        "from lib.helper import ONE\n\n\ndef test_vendored():\n    assert ONE == 1\n"
    )
    root = init_repo(write_tree(tmp_path / "r", {**BUGGY, "tests/test_vendor.py": uses_lib}))
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor")
    git(root, "commit", "-qm", "vendor lib")
    (root / "vendor/lib/helper.py").write_text("ONE = 1  # a local change inside the submodule\n")
    (root / "vendor/untracked.txt").write_text("mine\n")
    before, sub_before = HostState.capture(root), HostState.capture(root / "vendor")
    result, report = invoke(root, "--apply")
    assert result.exit_code == 0, result.output
    assert _passed(report, "tests/test_vendor.py::test_vendored")
    assert report["fix"]["applied"] == ["shop/cart.py"]
    assert not [s for s in report["localization"] if s["path"].startswith("vendor/")]
    unchanged(before, HostState.capture(root), except_files={"shop/cart.py"})
    unchanged(sub_before, HostState.capture(root / "vendor"))


# -- 25: a large repository ----------------------------------------------------------------------

LARGE = 10_000
COPY_BOUND = 30.0  # seconds for the scratch copies of 10,000 files into 2 sandboxes


@pytest.fixture(scope="module")
def large_repo(tmp_path_factory) -> Path:
    root = write_tree(tmp_path_factory.mktemp("large") / "r", BUGGY)
    t0 = time.monotonic()
    for d in range(100):
        folder = root / "assets" / f"d{d:02}"
        folder.mkdir(parents=True)
        for i in range(LARGE // 100):
            with open(folder / f"f{i:03}.txt", "wb") as fh:
                fh.write(b"%d\n" % (d * 100 + i))
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "gc.auto", "0")  # no background gc racing the test
    init_repo(root)
    print(f"\ngenerated and committed {LARGE} files in {time.monotonic() - t0:.1f}s")
    return root


def test_25_a_10000_file_repo_is_copied_in_bounded_time_with_progress(large_repo, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(large_repo.parent))
    before = HostState.capture(large_repo)
    t0 = time.monotonic()
    result, report = invoke(large_repo, "--workers", "2")
    elapsed = time.monotonic() - t0
    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed"
    copy = report["timings"]["sandbox_setup"]
    said = " ".join(result.stderr.split())
    assert f"copying {LARGE + len(BUGGY)} files" in said and "copied in" in said
    print(f"\n{LARGE} files: sandbox copies {copy:.2f}s (2 workers), whole run {elapsed:.1f}s")
    assert copy < COPY_BOUND
    unchanged(before, HostState.capture(large_repo))


def test_25_a_project_over_the_size_limit_is_refused_with_a_reason(large_repo, monkeypatch):
    """Past the copy limit (50,000 files or 500 MiB; lowered here) the run is refused before
    anything is copied, with what to do instead."""
    import treefix.workspace.snapshot as snap

    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(large_repo.parent))
    monkeypatch.setattr(snap, "MAX_FILES", LARGE // 2)
    before = HostState.capture(large_repo)
    result, _ = invoke(large_repo)
    assert result.exit_code == 2, result.output
    one_error_line(result, "project too large to copy into a sandbox", "smaller folder")
    unchanged(before, HostState.capture(large_repo))
