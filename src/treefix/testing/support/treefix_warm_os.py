"""What the warm server (treefix_warm.py) needs from the OS around its children: capped output,
the container cgroup's counters, the results folder, scratch clean-up, and process bookkeeping.

Runs in the project's interpreter: Python 3.7+, standard library only.
"""

import os
import shutil

HEAD = 64 << 10


class Capped:
    """First HEAD bytes and the last limit - HEAD bytes of a stream (sandbox/capture.py's rule)."""

    def __init__(self, limit):
        self.limit, self.head_limit = limit, min(HEAD, limit // 2)
        self.head, self.tail, self.total = bytearray(), bytearray(), 0

    def feed(self, chunk):
        self.total += len(chunk)
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        keep = self.limit - self.head_limit
        if len(self.tail) > 2 * keep + 65536:
            del self.tail[: len(self.tail) - keep]

    def text(self):
        keep = self.limit - self.head_limit
        if self.total > self.limit:
            tail = bytes(self.tail[len(self.tail) - keep :]) if keep > 0 else b""
            skipped = self.total - len(self.head) - len(tail)
            data = bytes(self.head) + f"\n[... {skipped} bytes not kept ...]\n".encode() + tail
        else:
            data = bytes(self.head) + bytes(self.tail)
        return data.decode("utf-8", "replace").replace("\x00", "\ufffd")


OOM_COUNTERS = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")
PIDS_COUNTERS = ("/sys/fs/cgroup/pids.events", "/sys/fs/cgroup/pids/pids.events")


def cgroup_counters():
    """(OOM kills, forks refused) of this container's cgroup (v2 or v1), 0 when unreadable."""

    def read(paths, key):
        for path in paths:
            try:
                with open(path) as fh:
                    for line in fh:
                        k, _, v = line.partition(" ")
                        if k == key and v.strip().isdigit():
                            return int(v)
            except OSError:
                continue
        return 0

    return read(OOM_COUNTERS, "oom_kill"), read(PIDS_COUNTERS, "max")


RESULTS_INLINE = 8 << 20  # bigger results (a suite's coverage) are read back by the host


def _read_results(folder):
    """The regular files of the results folder as text, or None when they are too big to send
    inline (the host reads them itself then)."""
    out, total = {}, 0
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    for name in names:
        path = os.path.join(folder, name)
        try:
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            total += os.path.getsize(path)
            if total > RESULTS_INLINE:
                return None
            with open(path, "rb") as fh:
                out[name] = fh.read(RESULTS_INLINE).decode("utf-8", "replace")
        except OSError:
            return None
    return out


def _rss_kb():
    """This process's resident memory (what one warm server costs a worker), 0 if unknown."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _empty(folder):
    """Empties a folder without following links (a candidate may have planted some)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass


def _children():
    """Our direct children: as a subreaper, every orphan of a candidate's tree becomes one."""
    me, out = os.getpid(), []
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return out
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == me:
            out.append(int(pid))
    return out


def _kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except OSError:
        pass
