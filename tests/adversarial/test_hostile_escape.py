"""Issue 6, part A, cases 9, 10, 14: a candidate reaching out of the sandbox: the network, the host's
files, and more privilege. Every attempt is a test that passes only if the escape worked: each
must fail, the run is never counted as a pass, and the host is unchanged."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

import pytest

from tests.adversarial.conftest import (
    HOSTILE,
    assert_files_unchanged,
    assert_still_healthy,
    hostile,
    make_project,
    outcomes,
)
from tests.adversarial.host import HostState
from tests.conftest import init_repo
from treefix.types import Status

ESCAPE_ERRORS = {
    "OSError",
    "PermissionError",
    "FileNotFoundError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "TimeoutError",
    "socket.gaierror",
    "gaierror",
    "urllib.error.URLError",
    "URLError",
    "AssertionError",  # the attempt "worked" but achieved nothing (checked right after it)
}


def _run_escapes(backends, calc, box, body: str, timeout: float = 40):
    runner = backends.runner(calc)
    rep = runner.run(box, hostile(body), [HOSTILE], timeout=timeout, per_test_timeout=10)
    assert rep.status is Status.FAILED, (rep.status, rep.detail, rep.output[-2000:])
    assert rep.exit_code == 1
    assert rep.tests and set(outcomes(rep).values()) == {"failed"}, {
        k: (t.outcome, t.message) for k, t in rep.tests.items()
    }
    for t in rep.tests.values():
        assert t.exc_type in ESCAPE_ERRORS, (t.nodeid, t.message)
    assert_still_healthy(runner, box)
    return rep


def require_isolation(backends, box, what: str) -> None:
    """The local sandbox without namespaces / without its mount namespace is documented as no
    boundary (`NO namespaces`, `NO filesystem isolation` in its isolation line): there, these
    attempts would really change the host, so the case asserts that documented fallback and stops
    (only the namespaces+lockdown local sandbox and Docker are held to it)."""
    if backends.kind != "local" or getattr(box.iso, what):
        return
    assert ("NO namespaces" if what == "namespaces" else "NO filesystem isolation") in box.isolation
    pytest.skip(f"local sandbox without {what} isolation on this machine: not a boundary")


def _gateway(backends) -> str:
    if backends.kind == "docker":
        config = backends.client.networks.get("bridge").attrs["IPAM"]["Config"]
        return next((c["Gateway"] for c in config if c.get("Gateway")), "172.17.0.1")
    return "172.17.0.1"


# -- 9. network -----------------------------------------------------------------------------------
def test_no_network_at_all(backends, calc, box):
    require_isolation(backends, box, "namespaces")
    # ports that really listen on the host: "connected" would mean a route exists
    anywhere, loopback = socket.socket(), socket.socket()
    anywhere.bind(("0.0.0.0", 0))
    loopback.bind(("127.0.0.1", 0))
    for s in (anywhere, loopback):
        s.listen(8)
    try:
        rep = _run_escapes(
            backends,
            calc,
            box,
            f"""\
            import socket
            import urllib.request

            def test_http_by_name():
                urllib.request.urlopen("http://example.com/", timeout=3)

            def test_http_by_address():
                urllib.request.urlopen("http://1.1.1.1/", timeout=3)

            def test_dns_lookup():
                socket.getaddrinfo("example.com", 80)

            def test_docker_bridge_gateway():
                socket.create_connection(("{_gateway(backends)}", {anywhere.getsockname()[1]}), timeout=3)

            def test_cloud_metadata():
                urllib.request.urlopen("http://169.254.169.254/latest/meta-data/", timeout=3)

            def test_host_loopback_port():
                socket.create_connection(("127.0.0.1", {loopback.getsockname()[1]}), timeout=3)

            def test_docker_socket():
                s = socket.socket(socket.AF_UNIX)
                s.connect("/var/run/docker.sock")
                s.sendall(b"GET /containers/json HTTP/1.0\\r\\n\\r\\n")
                assert s.recv(100) == b"", "the Docker engine answered"
            """,
        )
    finally:
        anywhere.close()
        loopback.close()
    assert len(rep.tests) == 7


# -- 10. writes outside the work dir --------------------------------------------------------------
@pytest.fixture(scope="module")
def victim(tmp_path_factory):
    """A git repository on the host, with a file the candidate knows the absolute path of."""
    root = tmp_path_factory.mktemp("victim") / "repo"
    make_project(root, {"keep.txt": "the user's file\n", "src/mod.py": "X = 1\n"})
    return init_repo(root)


def test_writes_outside_the_work_dir_leave_the_host_unchanged(backends, calc, box, victim):
    require_isolation(backends, box, "filesystem")
    tag = secrets.token_hex(4)
    home = Path(os.path.expanduser("~"))
    planted = [
        Path("/etc") / f"treefix-adv-{tag}",
        home / f".treefix-adv-{tag}",
        victim / f"planted-{tag}.txt",
        victim.parent / f"planted-{tag}.txt",
        Path("/var/tmp") / f"treefix-adv-{tag}",
    ]
    before = HostState.capture(victim)
    etc_before = sorted(os.listdir("/etc"))
    _run_escapes(
        backends,
        calc,
        box,
        f"""\
        import os

        def write(path, text="owned\\n"):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(text)

        def test_home_file():
            write({str(home / f".treefix-adv-{tag}")!r})
            write(os.path.expanduser("~/.treefix-adv-{tag}"))  # the sandbox's own HOME: harmless
            assert False, "wrote into the home folder"

        def test_etc():
            write({f"/etc/treefix-adv-{tag}"!r})

        def test_dot_dot():
            write(os.path.join("..", "..", "..", "planted-{tag}.txt"))
            write(os.path.join("..", "..", "planted-{tag}.txt"))
            assert False, "wrote above the work dir"

        def test_absolute_host_paths():
            write({str(victim / f"planted-{tag}.txt")!r})
            write({str(victim.parent / f"planted-{tag}.txt")!r})
            write({str(victim / "keep.txt")!r})
            assert False, "wrote the user's files"

        def test_var_tmp():
            write({f"/var/tmp/treefix-adv-{tag}"!r})
            assert False, "wrote into /var/tmp"
        """,
    )
    assert [p for p in planted if p.exists()] == []
    assert sorted(os.listdir("/etc")) == etc_before
    assert_files_unchanged(before, victim)


# -- 14. privilege escalation ---------------------------------------------------------------------
def test_privilege_escalation_is_denied(backends, calc, box):
    require_isolation(backends, box, "filesystem")
    _run_escapes(
        backends,
        calc,
        box,
        f"""\
        import ctypes
        import os
        import subprocess
        import tempfile

        libc = ctypes.CDLL(None, use_errno=True)
        HOST_PID = {os.getpid()}  # treefix itself, on the host
        PTRACE_ATTACH, CLONE_NEWNS, CLONE_NEWUSER = 16, 0x00020000, 0x10000000

        def capabilities():
            with open("/proc/self/status") as fh:
                line = next(ln for ln in fh if ln.startswith("CapEff:"))
            return int(line.split()[1], 16)

        def test_has_capabilities():
            assert capabilities() != 0, "no capabilities"

        def test_setuid_root():
            os.setuid(0)
            os.setgid(0)
            assert capabilities() != 0, "uid 0 without any capability"

        def test_setuid_binary():
            # mount(8) is setuid root on Debian; no-new-privileges makes the bit worthless
            target = tempfile.mkdtemp()
            out = subprocess.run(["mount", "-t", "tmpfs", "none", target], capture_output=True)
            assert out.returncode == 0, out.stderr.decode()

        def test_mount_syscall():
            target = tempfile.mkdtemp().encode()
            assert libc.mount(b"none", target, b"tmpfs", 0, None) == 0, os.strerror(ctypes.get_errno())

        def test_remount_host_read_write():
            assert libc.mount(None, b"/", None, 32 | 4096, None) == 0, os.strerror(ctypes.get_errno())
            with open("/etc/treefix-escalated", "w") as fh:
                fh.write("owned")

        def test_unshare_mount_namespace():
            assert libc.unshare(CLONE_NEWNS) == 0, os.strerror(ctypes.get_errno())

        def test_user_namespace_gains_nothing_on_the_host():
            # where user namespaces are allowed, root inside one still cannot make the host
            # writable (the read-only mounts are locked) nor reach anything new
            out = subprocess.run(
                ["unshare", "-Urm", "sh", "-c",
                 "mount -n -o remount,bind,rw / && echo owned > /etc/treefix-escalated"],
                capture_output=True,
            )
            assert out.returncode == 0, out.stderr.decode()

        def test_ptrace_outside():
            own = {{os.getpid(), os.getppid()}}
            targets = [HOST_PID]
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if os.stat(f"/proc/{{pid}}").st_uid != os.getuid():
                        targets.append(int(pid))  # another user's process (root's init)
                except OSError:
                    pass
            for pid in targets:
                if pid not in own and libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0:
                    raise AssertionError(f"attached to {{pid}}")
            raise OSError(1, f"ptrace refused for {{targets}}")
        """,
    )
    assert not Path("/etc/treefix-escalated").exists()
