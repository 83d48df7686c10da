"""Sandbox images: the project image is the base plus the project's dependencies, tagged by a
hash of the dependency files so it is rebuilt only when they change. Nothing is pulled: the base
is local (`sandbox/build-offline-base.sh` builds one with debootstrap) and dependencies are
downloaded on the host into a wheelhouse, then installed in the image with --no-index."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from treefix.errors import SandboxError, SandboxUnavailable, UsageError
from treefix.sandbox.docker_engine import client as make_client
from treefix.sandbox.project_venv import pinned_requirements, project_venv, venv_python

DEFAULT_BASE = "treefix-base:bookworm"
REPO = "treefix-sandbox"
ALWAYS = ["pytest", "coverage"]  # what the runner itself needs inside


@dataclass
class Dependencies:
    requirements: list[str]  # pip requirement lines
    sources: list[str]  # files they came from

    def digest(self, base: str) -> str:
        h = hashlib.sha256(base.encode() + b"\0")
        for line in sorted(self.requirements):
            h.update(line.encode() + b"\n")
        return h.hexdigest()[:16]


def _requirement_lines(path: Path) -> list[str]:
    out = []
    # pip-compile writes `pkg==1.0 \` then `    --hash=sha256:...` lines: join continuations before
    # the lines are sorted apart, and drop the hashes (they would switch the install from our own
    # wheelhouse to hash-checking mode, which then refuses the unhashed pytest and coverage)
    text = path.read_text(errors="replace").replace("\\\r\n", " ").replace("\\\n", " ")
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        kept = [
            w
            for i, w in enumerate(words)
            if not w.startswith("--hash") and not (i and words[i - 1] == "--hash")
        ]
        line = " ".join(kept)
        if line and not line.startswith(("-e", "--editable", "-r", "-c", ".", "/")):
            out.append(line)
    return out


def find_dependencies(root: Path) -> Dependencies:
    """The project's in-tree virtualenv, pinned, when it has one (what the local sandbox runs the
    tests with); else its requirement files and pyproject's dependencies and test extras."""
    venv = project_venv(root)
    if venv is not None:
        return Dependencies(pinned_requirements(venv), [f"{venv.name}/ (its installed packages)"])
    reqs: list[str] = []
    sources: list[str] = []
    for path in sorted([*root.glob("requirements*.txt"), *root.glob("requirements/*.txt")]):
        reqs += _requirement_lines(path)
        sources.append(path.relative_to(root).as_posix())
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        try:
            data = tomllib.loads(pyproject.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{pyproject}: cannot be parsed: {exc}") from None
        project = data.get("project", {})
        reqs += [str(r) for r in project.get("dependencies", [])]
        for extra in ("test", "tests", "testing", "dev"):
            reqs += [str(r) for r in project.get("optional-dependencies", {}).get(extra, [])]
        sources.append("pyproject.toml")
    return Dependencies(sorted(set(reqs)), sources)


def image_tag(root: Path, base: str = DEFAULT_BASE) -> str:
    return f"{REPO}:{find_dependencies(root).digest(base)}"


DOCKERFILE = """\
ARG BASE
FROM ${BASE}
COPY wheelhouse /tmp/wheelhouse
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv --system-site-packages /opt/treefix-venv \\
 && /opt/treefix-venv/bin/pip install --no-index --no-cache-dir --find-links /tmp/wheelhouse -r /tmp/requirements.txt \\
 && rm -rf /tmp/wheelhouse /tmp/requirements.txt \\
 && mkdir -p /work && chmod 755 /work
ENV PATH=/opt/treefix-venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
"""


def _container_python(client, base: str) -> str:
    out = client.containers.run(
        base,
        ["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        remove=True,
        network_mode="none",
    )
    return out.decode().strip()


def _say_other_python(root: Path, image_python: str, log) -> None:
    """The image runs the tests on its own Python: say so when the project's venv (what the local
    sandbox runs them with) has another version, so a difference between sandboxes is explained."""
    venv = project_venv(root)
    if venv is None:
        return
    own = venv_python(venv)
    if own and image_python and own != image_python:
        log(
            f"note: the project's {venv.name}/ is Python {own}, the image's is {image_python}: in "
            f"the Docker sandbox the tests run on {image_python} (--base an image of Python {own} "
            "to match)"
        )


def build(root: Path, *, base: str = DEFAULT_BASE, client=None, log=print) -> str:
    """Build (or find) the project's sandbox image and return its tag."""
    import docker.errors

    client = client or make_client(timeout=600)
    deps = find_dependencies(root)
    tag = f"{REPO}:{deps.digest(base)}"
    try:
        client.images.get(tag)
        log(
            f"{tag} is up to date ({len(deps.requirements)} dependencies from {', '.join(deps.sources) or 'no files'})"
        )
        _say_other_python(root, _container_python(client, tag), log)
        return tag
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.get(base)
    except docker.errors.ImageNotFound:
        raise SandboxUnavailable(
            f"base image {base} not found: build it with sandbox/build-offline-base.sh, or pass --base python:3.12-slim where a registry is reachable"
        ) from None
    with tempfile.TemporaryDirectory(prefix="treefix-build-") as ctx:
        ctx_path = Path(ctx)
        wheels = ctx_path / "wheelhouse"
        wheels.mkdir()
        wanted = [*ALWAYS, *deps.requirements]
        (ctx_path / "requirements.txt").write_text("\n".join(wanted) + "\n")
        pyver = _container_python(client, base)
        _say_other_python(root, pyver, log)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "-d",
            str(wheels),
            "-r",
            str(ctx_path / "requirements.txt"),
        ]
        if pyver != f"{sys.version_info[0]}.{sys.version_info[1]}":
            cmd += ["--python-version", pyver, "--only-binary=:all:"]
        log(
            f"downloading {len(wanted)} requirements for Python {pyver} into a wheelhouse "
            f"(from {', '.join(deps.sources) or 'no files'})"
        )
        dl = subprocess.run(cmd, capture_output=True, text=True)
        if dl.returncode != 0:
            last = (dl.stderr.strip().splitlines() or ["pip download failed"])[-1]
            raise SandboxError(f"cannot download the project's dependencies: {last}")
        (ctx_path / "Dockerfile").write_text(DOCKERFILE)
        log(f"building {tag} from {base}")
        try:
            client.images.build(
                path=ctx,
                tag=tag,
                buildargs={"BASE": base},
                pull=False,
                rm=True,
                forcerm=True,
                network_mode="none",
                labels={"treefix": "1", "treefix.deps": ",".join(deps.sources)},
            )
        except docker.errors.BuildError as exc:
            tail = " ".join(
                str(x.get("stream", x.get("error", ""))).strip() for x in list(exc.build_log)[-3:]
            )
            raise SandboxError(f"image build failed: {tail or exc.msg}") from None
    return tag
