"""The model's read-only tools over the project as a search state holds it (the snapshot's files
plus this state's edits): nothing outside it, no secret file, output bounded.

A path is refused when it is absolute, climbs out (`..`), names a secret (code/secrets.py) or is
not a file of the snapshot; symlinks leaving the tree never entered the snapshot. A refusal is
answered with its reason, so the model can correct itself, and counted by the loop.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Mapping

from treefix.code.secrets import is_secret_path
from treefix.models.base import Tool

MAX_LINES = 200  # one read_file answer
MAX_HITS = 50  # search / find_definition matches listed
MAX_ENTRIES = 200  # list_dir entries


class Refused(Exception):
    """A tool call that is not run; the text is the model's error answer."""


def _schema(**props: tuple[str, str]) -> dict:
    required = [k for k, (_, d) in props.items() if not d.startswith("optional")]
    return {
        "type": "object",
        "properties": {k: {"type": t, "description": d} for k, (t, d) in props.items()},
        "required": required,
    }


TOOLS = (
    Tool(
        "read_file",
        "Read lines of a project file, numbered. Paths are relative to the project root.",
        _schema(
            path=("string", "file path relative to the project root"),
            start=("integer", "optional first line (1-based, default 1)"),
            end=("integer", f"optional last line (default start+{MAX_LINES - 1})"),
        ),
    ),
    Tool(
        "search",
        "Search project files for a Python regular expression; lists path:line: text.",
        _schema(
            regex=("string", "the regular expression"),
            glob=("string", "optional file pattern, e.g. 'src/**/*.py' (default all files)"),
        ),
    ),
    Tool(
        "find_definition",
        "Where a function, class or top-level name is defined (def/class/assignment).",
        _schema(name=("string", "the name, e.g. 'parse_date' or 'Config'")),
    ),
    Tool(
        "list_dir",
        "List the files and folders under a project folder ('' or '.' for the root).",
        _schema(path=("string", "optional folder relative to the project root")),
    ),
)


def clean_path(raw: object, *, folder: bool = False) -> str:
    """The project-relative posix path the model means, or Refused."""
    if not isinstance(raw, str):
        raise Refused("path must be a string")
    path = raw.strip().replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path) or path.startswith("~"):
        raise Refused(f"{raw!r} is outside the project: paths are relative to the project root")
    if ".." in path.split("/"):
        raise Refused(f"{raw!r} is outside the project: '..' is not allowed")
    norm = posixpath.normpath(path or ".")
    if norm == "." and folder:
        return ""
    if is_secret_path(norm):
        raise Refused(f"{raw!r} may hold credentials: secret files are never read")
    return norm


class Toolbox:
    """Runs one tool call against `files` (path -> bytes, read lazily through `read`)."""

    def __init__(self, paths: list[str], read: Callable[[str], bytes]):
        self.paths = sorted(p for p in paths if not is_secret_path(p))
        self._set = set(self.paths)
        self.read = read

    @classmethod
    def over(cls, files: Mapping[str, bytes]) -> Toolbox:
        return cls(list(files), files.__getitem__)

    def run(self, name: str, args: dict) -> str:
        """The tool's answer; raises Refused for a call that must not run."""
        if "_invalid" in args:
            raise Refused(f"the arguments are not a JSON object: {args['_invalid']}")
        fn = getattr(self, f"_{name}", None) if name in {t.name for t in TOOLS} else None
        if fn is None:
            raise Refused(f"unknown tool {name!r}; tools: {', '.join(t.name for t in TOOLS)}")
        try:
            return fn(**args)
        except TypeError as exc:
            raise Refused(f"bad arguments for {name}: {exc}") from None

    def _text(self, path: str) -> str:
        if path not in self._set:
            raise Refused(f"no file {path!r} in the project (list_dir shows what exists)")
        return self.read(path).decode("utf-8", "replace")

    def _read_file(self, path, start=1, end=None) -> str:
        path = clean_path(path)
        lines = self._text(path).splitlines()
        try:
            first = max(1, int(start or 1))
            last = min(
                len(lines), int(end) if end else first + MAX_LINES - 1, first + MAX_LINES - 1
            )
        except (TypeError, ValueError):
            raise Refused("start and end must be line numbers") from None
        if first > max(1, len(lines)):
            return f"{path} has {len(lines)} lines"
        body = "\n".join(f"{n:>5}  {lines[n - 1]}" for n in range(first, last + 1))
        more = f"\n[{len(lines) - last} more lines]" if last < len(lines) else ""
        return f"{path} lines {first}-{last} of {len(lines)}:\n{body}{more}"

    def _search(self, regex, glob="") -> str:
        try:
            pattern = re.compile(str(regex))
        except re.error as exc:
            raise Refused(f"bad regular expression: {exc}") from None
        hits: list[str] = []
        total = 0
        for path in self._matching(glob):
            for n, line in enumerate(self._text(path).splitlines(), 1):
                if pattern.search(line):
                    total += 1
                    if len(hits) < MAX_HITS:
                        hits.append(f"{path}:{n}: {line.strip()[:200]}")
        if not hits:
            return "no match"
        more = f"\n[{total - len(hits)} more matches]" if total > len(hits) else ""
        return "\n".join(hits) + more

    def _matching(self, glob) -> list[str]:
        if not glob:
            return self.paths
        glob = clean_path(glob)
        return [
            p for p in self.paths if fnmatch.fnmatch(p, glob) or fnmatch.fnmatch(p, "*/" + glob)
        ]

    def _find_definition(self, name) -> str:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][\w.]*", name):
            raise Refused("name must be an identifier")
        short = re.escape(name.rsplit(".", 1)[-1])
        pattern = re.compile(rf"^\s*(?:async\s+def|def|class)\s+{short}\b|^{short}\s*[:=]")
        found = [
            f"{p}:{n}: {line.strip()[:200]}"
            for p in self.paths
            if p.endswith(".py")
            for n, line in enumerate(self._text(p).splitlines(), 1)
            if pattern.search(line)
        ]
        return "\n".join(found[:MAX_HITS]) if found else f"no definition of {name!r}"

    def _list_dir(self, path="") -> str:
        folder = clean_path(path, folder=True)
        prefix = folder + "/" if folder else ""
        entries = sorted(
            {
                p[len(prefix) :].split("/", 1)[0] + ("/" if "/" in p[len(prefix) :] else "")
                for p in self.paths
                if p.startswith(prefix)
            }
        )
        if not entries:
            raise Refused(f"no folder {path!r} in the project")
        more = f"\n[{len(entries) - MAX_ENTRIES} more]" if len(entries) > MAX_ENTRIES else ""
        return "\n".join(entries[:MAX_ENTRIES]) + more
