"""treefix's warm test server, run inside the sandbox as `python -m treefix_warm` (AFL's forkserver).

It imports pytest and the project's third-party modules once, then forks one child per candidate:
the child runs `pytest.main(args)` exactly as `python -m pytest args` would, with the run's own
environment; the server waits for it with the run's wall-clock limit, kills its whole process
group, and drains its output (head and tail kept, as the cold runner does). A forked child can
change nothing in the server's memory; what it could change outside it (files in the project
overlay, the private /tmp, leftover processes) is checked after every child: cleaned when it can be,
otherwise the server says it is polluted and exits, and the host starts a fresh one.

Protocol: JSON lines on the server's stdin/stdout (duplicated to private fds at start; children
close them before any candidate code runs). First a `hello` request with the modules to preload,
answered by `ready`; then one `run` request per candidate, answered by `done`.

Runs in the project's interpreter: Python 3.7+, standard library + pytest only.
"""

import ctypes
import gc
import importlib
import json
import os
import select
import shutil
import signal
import sys
import threading
import time

from treefix_warm_os import (  # type: ignore[import-not-found]  # beside this file
    Capped,
    _children,
    _empty,
    _kill_group,
    _read_results,
    _rss_kb,
    cgroup_counters,
)

KILL_GRACE = 1.0
DRAIN_AFTER_EXIT = 0.5
# plugin set-ups a forked pytest cannot serve: xdist's controller spawns its own workers
UNFORKABLE = ("xdist.dsession", "xdist.looponfail", "execnet")


def _no_dumps():
    # a child of the same uid must not read or write this process's memory through /proc/PID/mem
    # (or open its protocol fds through /proc/PID/fd): not dumpable means not ptrace-able
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
        # PR_SET_CHILD_SUBREAPER = 36: a candidate's orphans become our children, to be killed
        libc.prctl(36, 1, 0, 0, 0)
    except Exception:
        pass


def plugin_packages():
    """Top-level packages of distributions with pytest11 plugins: pytest would rewrite their
    asserts when it loads them, and warns when they were imported before. Preloaded all the same
    (importing them per child cost ~0.25 s of CPU here); the child skips just that warning."""
    try:
        from importlib import metadata
    except ImportError:  # Python 3.7: preload them anyway (the warning is harmless)
        return set()
    out = set()
    for dist in metadata.distributions():
        try:
            eps = [ep for ep in dist.entry_points if ep.group == "pytest11"]
            if not eps:
                continue
            out.update(ep.value.split(":")[0].split(".")[0] for ep in eps)
            for f in dist.files or []:
                top = str(f).split("/")[0]
                if top.endswith(".py"):
                    out.add(top[:-3])
                elif "/" in str(f) and not top.endswith((".dist-info", ".egg-info", "..")):
                    out.add(top)
        except Exception:
            continue
    out.discard("pytest")
    out.discard("_pytest")
    return out


PRELOADED_PLUGINS = set()  # type: set[str]


def preload(names, root):
    loaded, failed = 0, []
    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
            loaded += 1
        except BaseException as exc:  # an import that needs the test session: left to the child
            failed.append(f"{name}: {type(exc).__name__}")
    # the project's own modules must come from the candidate's files, never from this process
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None) or ""
        if path and os.path.abspath(path).startswith(root + os.sep):
            del sys.modules[name]
    tops = {name.split(".")[0] for name in sys.modules}
    PRELOADED_PLUGINS.update(p for p in plugin_packages() if p in tops)
    return loaded, failed


def _quiet_preloaded_plugins():
    """pytest warns that a plugin imported before the session cannot have its asserts rewritten:
    true of the ones we preloaded, and noise a cold run never shows."""
    try:
        from _pytest.assertion import rewrite

        warn = rewrite.AssertionRewritingHook._warn_already_imported

        def quiet(self, name):
            if name.split(".")[0] not in PRELOADED_PLUGINS:
                warn(self, name)

        rewrite.AssertionRewritingHook._warn_already_imported = quiet
    except Exception:
        pass


class Server:
    def __init__(self, chan_in, chan_out):
        self.chan_in, self.chan_out = chan_in, chan_out
        self.root = os.getcwd()
        self.private_tmp = os.environ.get("TREEFIX_WARM_PRIVATE_TMP", "")
        self.upper = os.environ.get("TREEFIX_WARM_UPPER", "")
        # the Docker sandbox: more scratch places, a results folder and cgroup counters that
        # only this side of the container can see (the host's cold script does the same work)
        scratch = os.environ.get("TREEFIX_WARM_SCRATCH", "/tmp:/dev/shm")
        self.scratch = [d for d in scratch.split(":") if d]
        self.results = os.environ.get("TREEFIX_WARM_RESULTS", "")
        self.cgroup = bool(os.environ.get("TREEFIX_WARM_CGROUP"))
        self.tmp_before = self._tmp_entries()

    def send(self, record):
        self.chan_out.write(json.dumps(record) + "\n")
        self.chan_out.flush()

    def _tmp_entries(self):
        if not self.private_tmp:
            return {}
        return {d: set(os.listdir(d)) for d in self.scratch if os.path.isdir(d)}

    def hello(self, req):
        loaded, failed = preload(req.get("modules", []), self.root)
        why = ""
        bad = [m for m in UNFORKABLE if m in req.get("modules", []) or m in sys.modules]
        if bad:
            why = "a plugin set-up a forked pytest cannot serve ({})".format(", ".join(bad))
        elif threading.active_count() > 1:
            why = "the preloaded modules started threads (fork would copy them half-way)"
        try:
            import pytest

            version = pytest.__version__
        except BaseException as exc:
            why, version = f"pytest does not import: {exc}", ""
        self.tmp_before = self._tmp_entries()
        if hasattr(gc, "freeze"):  # 3.7+: a child's collections leave the preloaded heap shared
            gc.collect()
            gc.freeze()
        self.send(
            {
                "event": "ready",
                "ok": not why,
                "why": why,
                "preloaded": loaded,
                "failed": failed[:20],
                "python": ".".join(str(n) for n in sys.version_info[:3]),
                "pytest": version,
                "pid": os.getpid(),
                "rss_kb": _rss_kb(),
            }
        )
        return not why

    def run(self, req):
        if self.results:
            _empty(self.results)  # nothing of the last candidate's results reaches this one
        counters = cgroup_counters() if self.cgroup else None
        start = time.monotonic()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            self._child(req, out_w, err_w, (out_r, err_r))
        os.close(out_w)
        os.close(err_w)
        res = self._wait(pid, [out_r, err_r], req, start)
        if self.results:  # read back here: one engine round trip less per candidate
            res["artifacts"] = _read_results(self.results)
        if counters is not None:
            after = cgroup_counters()
            res["oom"] = after[0] > counters[0]
            res["pids_limited"] = after[1] > counters[1]
        res["polluted"] = self._clean_up()
        self.send(res)
        return not res["polluted"]

    def _child(self, req, out_w, err_w, parent_ends):
        try:
            os.setsid()
            for fd in parent_ends + (self.chan_in.fileno(), self.chan_out.fileno()):
                os.close(fd)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.environ.clear()
            os.environ.update(req["env"])
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            sys.dont_write_bytecode = True
            # the plugin reads its settings when imported: a fresh import per run
            for name in ("treefix_pytest", "treefix_trace"):
                sys.modules.pop(name, None)
            sys.argv = [sys.executable, "-m", "pytest"] + list(req["args"])
            import pytest

            _quiet_preloaded_plugins()
            rc = pytest.main(list(req["args"]))
            code = int(rc) if rc is not None else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            code = 1
            try:
                import traceback

                traceback.print_exc()
            except BaseException:
                pass
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)

    def _wait(self, pid, fds, req, start):
        bufs = {fd: Capped(int(req.get("output_limit", 1 << 20))) for fd in fds}
        deadline = start + float(req["timeout"])
        timed_out, term_at, exited_at, status, usage = False, None, None, None, None
        open_fds = list(fds)
        while open_fds or status is None:
            now = time.monotonic()
            if status is None:
                got, st, ru = os.wait4(pid, os.WNOHANG)
                if got == pid:
                    status, usage, exited_at = st, ru, now
                    _kill_group(pid, signal.SIGKILL)  # stragglers holding the pipes
            if exited_at is not None and now - exited_at > DRAIN_AFTER_EXIT:
                break
            if not timed_out and now >= deadline and status is None:
                timed_out, term_at = True, now
                _kill_group(pid, signal.SIGTERM)
            if term_at is not None and now - term_at >= KILL_GRACE:
                _kill_group(pid, signal.SIGKILL)
                term_at = None
            wait = 0.05 if (timed_out or exited_at or not open_fds) else min(0.05, deadline - now)
            ready = select.select(open_fds, [], [], max(0.0, wait))[0] if open_fds else []
            if not open_fds:
                time.sleep(wait)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if chunk:
                    bufs[fd].feed(chunk)
                else:
                    open_fds.remove(fd)
        if status is None:
            _kill_group(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
        for fd in fds:
            os.close(fd)
        rc = None
        if os.WIFEXITED(status):
            rc = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status) and not timed_out:
            rc = 128 + os.WTERMSIG(status)  # what `sh -c` reports for a killed pytest
        out, err = bufs[fds[0]], bufs[fds[1]]
        return {
            "event": "done",
            "rc": None if timed_out else rc,
            "timed_out": timed_out,
            "stdout": out.text(),
            "stderr": err.text(),
            "truncated": out.total > out.limit or err.total > err.limit,
            "duration": time.monotonic() - start,
            "maxrss_kb": usage.ru_maxrss if usage is not None else 0,
            "cpu": (usage.ru_utime + usage.ru_stime) if usage is not None else 0.0,
        }

    def _clean_up(self):
        """After a child: no process of it left, no file it wrote kept. '' or why not."""
        if os.getpid() == 1:  # PID namespace: every other process here is the candidate's
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        while True:  # orphans are reparented to us: reap them
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        for _ in range(3):  # a straggler may fork while being killed: a few rounds
            left = _children()
            if not left:
                break
            for pid in left:
                _kill_group(pid, signal.SIGKILL)
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
        else:
            return "a candidate's process outlived it"
        if self.upper and os.listdir(self.upper):
            return "a candidate wrote into the project copy"
        for folder, before in self.tmp_before.items():
            for name in set(os.listdir(folder)) - before:
                path = os.path.join(folder, name)
                try:
                    if os.path.isdir(path) and not os.path.islink(path):
                        shutil.rmtree(path)
                    else:
                        os.unlink(path)
                except OSError:
                    return f"a candidate left files in {folder}"
        if os.getcwd() != self.root:
            return "the server's working directory changed"
        return ""


def main():
    _no_dumps()
    chan_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    chan_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    # SIGTERM from the host ends the server; children set their own dispositions
    server = Server(chan_in, chan_out)
    for line in chan_in:
        req = json.loads(line)
        op = req.get("op")
        if op == "hello":
            if not server.hello(req):
                return
        elif op == "run":
            if not server.run(req):
                return  # polluted: the host replaces us
        else:
            return


if __name__ == "__main__":
    main()
