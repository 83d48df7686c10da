"""treefix, recording what its localiser was given, for re-localising a corpus offline.

    run.py --kind repo --keep-runs DIR --extra-args "--max-evals 1" \
        --treefix-cmd "python bench/real/fl_input.py"
    python bench/real/fl_offline.py DIR --work WORK

Runs `python -m treefix` unchanged, except that the localisation stage also pickles its input
(the project's sources, the baseline TestReport, the targets) into the run folder
(`.treefix/runs/fl-input.pickle`), which --keep-runs keeps. Localisation does not depend on the
search budget, so one baseline per bug serves every localiser variant.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

from treefix.pipeline import baseline


def main() -> int:
    original = baseline.localise

    def recording(language: Any, state: Any, base: Any, targets: Any, *rest: Any) -> Any:
        sources = {p: bytes(state.read(p)) for p in state.paths()}
        repo = Path(sys.argv[sys.argv.index("repair") + 1])
        out = repo / ".treefix" / "runs" / "fl-input.pickle"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pickle.dumps({"sources": sources, "base": base, "targets": targets}))
        return original(language, state, base, targets, *rest)

    baseline.localise = recording
    from treefix.cli.app import main as cli

    sys.argv = ["treefix", *sys.argv[1:]]
    cli()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
