"""Settings from files, the environment and the command line, each value with where it came from.

Layers, later wins:

1. defaults (the fields of the option groups in `treefix.pipeline.options`)
2. `[tool.treefix]` in pyproject.toml, then `treefix.toml` (top-level keys), found in the project
   folder or the nearest parent up to the repository root
3. (`treefix check` only) the hook's small offline budget, then a `[tool.treefix.check]` /
   `[check]` table
4. `TREEFIX_<KEY>` environment variables (e.g. TREEFIX_MAX_EVALS=50)
5. command-line flags

Every setting is a field of one option group; keys are written `max-evals` or `max_evals`. Unknown
keys and bad values are one-line errors naming the key and the file (exit 2).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

from treefix.errors import UsageError
from treefix.models.registry import PROVIDERS
from treefix.option_bounds import BOUNDS
from treefix.pipeline import options as option_groups
from treefix.pipeline.options import RunOptions, setting_fields
from treefix.propose.registry import PROPOSERS
from treefix.registry import Registry
from treefix.sandbox.backends import SANDBOXES
from treefix.workspace.gitrepo import GitRepo

PATH_SETTINGS = frozenset({"model_path", "cache"})  # relative to the config file that sets them
NOT_SETTINGS = frozenset({"path", "apply", "plan", "hook"})  # command line only
ENV_PREFIX = "TREEFIX_"
CHECK_DEFAULTS = {"max_evals": 60, "time_limit": 60.0, "proposer": "mutation"}


@dataclass
class Settings:
    values: dict[str, object]
    sources: dict[str, str]
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def options(self, path: str, *, plan=None, hook: bool = False):
        """The run's typed options (pipeline.options.RunOptions.build, the one constructor)."""
        return RunOptions.build(
            path,
            self.values,
            plan=plan,
            hook=hook,
            time_limit_is_default=self.sources.get("time_limit") == "default",
        )


def _hints() -> dict[str, object]:
    """setting -> its annotation, from the option groups."""
    out: dict[str, object] = {}
    for cls in option_groups.GROUPS.values():
        out.update(typing.get_type_hints(cls, vars(option_groups)))
    return out


def setting_types() -> dict[str, type]:
    """key -> the type a value must have (int, float, str, bool), from the option groups."""
    hints = _hints()
    out: dict[str, type] = {}
    for _, f in setting_fields():
        if f.name in NOT_SETTINGS:
            continue
        hint = hints[f.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        base = args[0] if args else hint
        if base in (int, float, str, bool):
            out[f.name] = base
    return out


def _optional(name: str) -> bool:
    return type(None) in typing.get_args(_hints()[name])


def defaults() -> dict[str, object]:
    flat = {k: v for group in dataclasses.asdict(RunOptions()).values() for k, v in group.items()}
    return {k: flat[k] for k in setting_types()}


REGISTRIES: dict[str, Registry] = {
    "sandbox": SANDBOXES,
    "proposer": PROPOSERS,
    "provider": PROVIDERS,
}  # settings whose value names a registered implementation


CHOICES: dict[str, tuple[str, ...]] = {  # settings with a fixed set of values
    "value": ("auto", "on", "off"),
    "runner": ("auto", "warm", "cold"),
    "executor": ("local", "ray"),
}


def _choices(key: str) -> tuple[str, ...] | None:
    registry = REGISTRIES.get(key)
    return registry.choices() if registry is not None else CHOICES.get(key)


def coerce(key: str, value: object, where: str, from_text: bool = False) -> object:
    """The value as the setting's type, or a UsageError naming key and place."""
    types = setting_types()
    name = key.replace("-", "_")
    if name not in types:
        known = ", ".join(sorted(k.replace("_", "-") for k in types))
        raise UsageError(f"{where}: unknown setting {key!r} (known: {known})")
    want = types[name]
    text_in = from_text and isinstance(value, str)
    try:
        if value is None or (isinstance(value, str) and value == "" and _optional(name)):
            if not _optional(name):
                raise ValueError
            return None
        if want is bool:
            if isinstance(value, bool):
                out: object = value
            elif isinstance(value, str) and value.lower() in (
                "1",
                "true",
                "yes",
                "on",
                "0",
                "false",
                "no",
                "off",
            ):
                out = value.lower() in ("1", "true", "yes", "on")
            else:
                raise ValueError
        elif want is int:
            if isinstance(value, bool | float):
                raise ValueError
            if not isinstance(value, int | str) or (isinstance(value, str) and not text_in):
                raise ValueError
            out = int(value)
        elif want is float:
            if isinstance(value, bool):
                raise ValueError
            if not isinstance(value, int | float | str) or (isinstance(value, str) and not text_in):
                raise ValueError
            out = float(value)
        else:
            if not isinstance(value, str):
                raise ValueError
            out = value
    except (ValueError, TypeError):
        kind = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}[want]
        raise UsageError(f"{where}: {key} must be {kind}, not {value!r}") from None
    least, most = BOUNDS.get(name, (None, None))
    # bounds are set on numeric settings only
    if least is not None and isinstance(out, int | float) and out < least:
        raise UsageError(f"{where}: {key} must be at least {least}, not {value!r}")
    if most is not None and isinstance(out, int | float) and out > most:
        raise UsageError(f"{where}: {key} must be at most {most}, not {value!r}")
    choices = _choices(name)
    if choices and out not in choices:
        raise UsageError(f"{where}: {key} must be one of {', '.join(choices)}, not {value!r}")
    return out


def find_config_files(path: str | os.PathLike[str]) -> list[Path]:
    """pyproject.toml (only with a [tool.treefix] table) and treefix.toml of the nearest folder,
    from the project folder up to the repository root (or the filesystem root outside git)."""
    start = Path(path).expanduser().resolve()
    stop = None
    repo = GitRepo.find(start) if start.is_dir() else None
    if repo is not None:
        stop = repo.toplevel.resolve()
    here = start
    while True:
        found = []
        py = here / "pyproject.toml"
        if py.is_file() and "treefix" in _read_toml(py).get("tool", {}):
            found.append(py)
        if (here / "treefix.toml").is_file():
            found.append(here / "treefix.toml")
        if found:
            return found
        if here == stop or here.parent == here:
            return []
        here = here.parent


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read: {exc}") from None


def _table(path: Path) -> dict:
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("treefix", {})
        return table if isinstance(table, dict) else {}
    return data


def _apply_table(
    table: dict,
    where: str,
    values: dict,
    sources: dict,
    label: str,
    nested_ok: bool,
    base: Path | None = None,
) -> dict | None:
    """Apply the keys of table; returns its `check` sub-table when nested_ok."""
    check = None
    for key, value in table.items():
        if key == "check" and nested_ok:
            if not isinstance(value, dict):
                raise UsageError(f"{where}: check must be a table of settings")
            check = value
            continue
        name = key.replace("-", "_")
        values[name] = coerce(key, value, where)
        if name in PATH_SETTINGS and isinstance(values[name], str) and base is not None:
            # a path in a config file means the same wherever treefix is started from
            values[name] = str((base / os.path.expanduser(values[name])).resolve())
        sources[name] = label
    return check


def resolve(
    path: str | os.PathLike[str] = ".",
    cli: dict[str, object] | None = None,
    *,
    command: str = "repair",
    environ: dict[str, str] | None = None,
) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    values = defaults()
    sources = {k: "default" for k in values}
    files = find_config_files(path) if Path(path).exists() else []
    warnings: list[str] = []
    checks: list[tuple[dict, str, str]] = []
    for f in files:
        label = f"{f}" + (" [tool.treefix]" if f.name == "pyproject.toml" else "")
        where = f"{f}" + (" [tool.treefix]" if f.name == "pyproject.toml" else "")
        check = _apply_table(
            _table(f), where, values, sources, label, nested_ok=True, base=f.parent
        )
        if check is not None:
            checks.append(
                (
                    check,
                    f"{where}.check" if f.name == "pyproject.toml" else f"{f} [check]",
                    str(f.parent),
                )
            )
    if command == "check":
        for k, v in CHECK_DEFAULTS.items():
            if k in values:
                values[k] = v
                sources[k] = "treefix check default"
        for table, where, folder in checks:
            _apply_table(table, where, values, sources, where, nested_ok=False, base=Path(folder))
    types = setting_types()
    for var, raw in sorted(environ.items()):
        if not var.startswith(ENV_PREFIX):
            continue
        name = var[len(ENV_PREFIX) :].lower()
        if name in types:
            values[name] = coerce(name, raw, f"environment variable {var}", from_text=True)
            sources[name] = f"env {var}"
        elif name in NOT_SETTINGS or name.replace("_", "") in {"debianmirror"}:
            continue
        else:
            warnings.append(f"{var} is not a treefix setting (ignored)")
    for name, value in (cli or {}).items():
        if name in types:
            if name in CHOICES:  # typer checks types, not these fixed modes
                value = coerce(name, value, "--" + name.replace("_", "-"))
            values[name] = value
            sources[name] = "command line"
    return Settings(values, sources, [str(f) for f in files], warnings)


def cli_overrides(ctx, names: typing.Iterable[str] | None = None) -> dict[str, object]:
    """The parameters of a click/typer context that were given on the command line."""
    out = {}
    for name, value in ctx.params.items():
        if names is not None and name not in names:
            continue
        source = ctx.get_parameter_source(name)  # click's ParameterSource (vendored by typer)
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            out[name] = value
    return out
