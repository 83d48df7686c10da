"""The local sandbox's filesystem lockdown, run as root inside the run's new mount + PID namespaces
before anything of the candidate's starts: `python -I -S lockdown.py BASE SIZE argv...`.

Why: a run of the local sandbox as root could otherwise write anywhere on the machine (home files,
/etc, the user's repository by its absolute path, raw disks under /dev), reach host sockets such as
the Docker socket (root there is root on the host) and fill the disk.

BASE holds `project` (the scratch copy), `results` and an empty `scratch`. Afterwards: every host
mount is read-only; the project is an overlay whose writes land in a tmpfs of SIZE bytes, gone when
the run ends; /tmp, /dev/shm and /run are fresh tmpfs (no host socket is reachable); /dev holds only
harmless devices; /proc shows only the run's processes, its kernel knobs read-only; the results
folder is the one writable host place. Then every capability is dropped and no-new-privs is set
(setpriv): no mount, no setuid binary gains anything. The uid stays (a root-owned interpreter under
/root must still run); root without capabilities is held by the read-only mounts.

Plain syscalls through ctypes, no treefix import: one process does it all in a few milliseconds
(the same with mount(8) took ~50 execs and 160 ms per run). Standard library only.
"""

from __future__ import annotations

import ctypes
import os
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_MOVE, MS_REC = 32, 1024, 2048, 4096, 8192, 16384
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
_KEEP = {
    "nosuid": MS_NOSUID,
    "nodev": MS_NODEV,
    "noexec": MS_NOEXEC,
    "noatime": MS_NOATIME,
    "nodiratime": MS_NODIRATIME,
    "relatime": MS_RELATIME,
    "strictatime": MS_STRICTATIME,
}
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
PROC_RO = ("sys", "sysrq-trigger", "irq", "bus", "fs")
EXIT_FAILED = 97

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    if _libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data) if data else None):
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source or ''} on {target}: {os.strerror(err)}")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mounts() -> list[tuple[str, int]]:
    """(mount point, its per-mount flags to keep) for every mount this namespace sees."""
    out = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            fields = line.split()
            flags = 0
            for opt in fields[5].split(","):
                flags |= _KEEP.get(opt, 0)
            out.append((_unescape(fields[4]), flags))
    return out


def lock_down(base: str, size: int, hidden: list[str], keep: list[str]) -> None:
    """hidden: credential paths to cover (see hide()); keep: host folders under /tmp bound back
    read-only into the private /tmp."""
    cwd = os.getcwd()
    scratch, project, results = (os.path.join(base, n) for n in ("scratch", "project", "results"))
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("treefix-scratch", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=755")
    upper, work, dev = (os.path.join(scratch, n) for n in ("upper", "work", "dev"))
    for d in (upper, work, dev):
        os.mkdir(d)
    os.chmod(upper, os.stat(project).st_mode & 0o7777)
    mount(
        "treefix-project",
        project,
        "overlay",
        0,
        f"lowerdir={project},upperdir={upper},workdir={work}",
    )
    mount(results, results, None, MS_BIND)
    # a minimal /dev, built aside and moved over the host's once the host is read-only
    mount("treefix-dev", dev, "tmpfs", MS_NOSUID, "size=1m,mode=755")
    for name in DEVICES:
        node = os.path.join(dev, name)
        open(node, "w").close()
        mount(f"/dev/{name}", node, None, MS_BIND)
    os.mkdir(os.path.join(dev, "shm"))
    os.mkdir(os.path.join(dev, "pts"))
    mount(
        "treefix-shm",
        os.path.join(dev, "shm"),
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={size},mode=1777",
    )
    try:
        mount(
            "devpts",
            os.path.join(dev, "pts"),
            "devpts",
            MS_NOSUID | MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=620",
        )
    except OSError:
        pass  # no pseudo-terminals: tests that need one fail, nothing else does
    for link, target in (
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, os.path.join(dev, link))
    # every host mount read-only (keeping its other per-mount flags, which may be locked)
    for point, flags in mounts():
        if point in (base, "/proc", "/dev") or point.startswith((base + "/", "/proc/", "/dev/")):
            continue
        mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
    # a private /tmp; BASE usually lives under it: keep a handle and bind it back
    handle = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    # the interpreter's venv or the plugin may live under /tmp too: handles kept, bound back read-only
    kept = [
        (p, os.open(p, os.O_RDONLY | os.O_DIRECTORY))
        for p in keep
        if p.startswith("/tmp/") and os.path.isdir(p) and not p.startswith(base)
    ]
    mount("treefix-tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    if base.startswith("/tmp/"):
        os.makedirs(base)
        mount(f"/proc/self/fd/{handle}", base, None, MS_BIND | MS_REC)
    os.close(handle)
    for path, fd in kept:
        os.makedirs(path, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    if os.path.isdir("/run"):  # host sockets live here (docker.sock, databases, dbus)
        mount("treefix-run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
        os.mkdir("/run/lock", 0o1777)
        os.chmod("/run/lock", 0o1777)
    hide(hidden)
    mount(dev, "/dev", None, MS_MOVE)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in PROC_RO:
        path = f"/proc/{name}"
        if os.path.exists(path):
            mount(path, path, None, MS_BIND)
            mount(
                None,
                path,
                None,
                MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
            )
    try:
        os.chdir(cwd)
    except OSError:  # the cwd was under the host's /tmp, now private: start at BASE instead
        os.chdir(base)


def hide(paths: list[str]) -> None:
    """Credentials stay unreadable: the host is read-only but readable, and a candidate's output
    reaches reports and model prompts. An empty read-only tmpfs covers each folder, /dev/null
    each file. Runs while the host's /dev/null is still in place."""
    for path in paths:
        # a failure propagates: a credential left readable is a failed lockdown (fail closed)
        if os.path.islink(path) or not os.path.exists(path):
            continue
        if os.path.isdir(path):
            mount(
                "treefix-hidden",
                path,
                "tmpfs",
                MS_RDONLY | MS_NOSUID | MS_NODEV,
                "size=4k,mode=700",
            )
        else:
            mount("/dev/null", path, None, MS_BIND)
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY)


def main(argv: list[str]) -> None:
    import json

    hidden: list[str] = []
    keep: list[str] = []
    while argv and argv[0].startswith(("--hide=", "--keep=")):
        name, _, value = argv[0].partition("=")
        (hidden if name == "--hide" else keep).extend(json.loads(value))
        argv = argv[1:]
    base, size, command = argv[0], int(argv[1]), argv[2:]
    try:
        lock_down(base, size, hidden, keep)
    except OSError as exc:
        sys.stderr.write(f"treefix-lockdown: {exc}\n")
        sys.stderr.flush()
        os._exit(EXIT_FAILED)
    setpriv = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    os.execvp("setpriv", [*setpriv, *command])


if __name__ == "__main__":
    main(sys.argv[1:])
