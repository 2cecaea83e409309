"""Killed / survived / score per module from mutmut's results (`mutants/<path>.meta`), for `make mutation`.

A mutant counts as detected when a test failed on it (killed) or it made the tests hang (timeout). It counts
against the score when the tests passed with it (survived) or no test executes the mutated function
(no tests). Mutants mutmut has not run yet are shown as `unchecked` and left out of the score.
Exits 1 when a module scores below `--minimum`, so the target fails on a regression.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# The modules whose score issue 14 holds at >= 90 %; `make mutation` runs these by default.
LISTED_MODULES = (
    "functions/common/matching.py",
    "functions/common/retry.py",
    "functions/common/signing.py",
    "functions/common/rawjson.py",
    "functions/common/ssrf.py",
    "functions/deliver/logic.py",
    "functions/fanout/logic.py",
)
MINIMUM_SCORE = 90.0

# mutmut's exit codes (mutmut/stats.py): 1 and 3 are test failures, the others name what happened.
_KILLED = {1, 3, 37}  # 37: refused by the type checker before any test ran
_TIMEOUT = {24, -24, 152, 255, 36}
_SURVIVED = {0}
_NO_TESTS = {5, 33}


@dataclass(frozen=True)
class ModuleScore:
    module: str
    killed: int = 0
    timeout: int = 0
    survived: int = 0
    no_tests: int = 0
    unchecked: int = 0
    other: int = 0  # skipped, interrupted, suspicious, segfault: shown, not scored

    @property
    def scored(self) -> int:
        return self.killed + self.timeout + self.survived + self.no_tests

    @property
    def score(self) -> float | None:
        """Percentage of scored mutants the tests detect; None when none was run."""
        return 100.0 * (self.killed + self.timeout) / self.scored if self.scored else None


def score_module(module: str, exit_codes: Mapping[str, int | None]) -> ModuleScore:
    counts = dict.fromkeys(("killed", "timeout", "survived", "no_tests", "unchecked", "other"), 0)
    for code in exit_codes.values():
        if code is None:
            kind = "unchecked"
        elif code in _KILLED:
            kind = "killed"
        elif code in _TIMEOUT:
            kind = "timeout"
        elif code in _SURVIVED:
            kind = "survived"
        elif code in _NO_TESTS:
            kind = "no_tests"
        else:
            kind = "other"
        counts[kind] += 1
    return ModuleScore(module, **counts)


def load_exit_codes(mutants_dir: Path, module: str) -> dict[str, int | None]:
    """The exit code of every mutant of `module`; empty when mutmut has not mutated it."""
    meta = mutants_dir / f"{module}.meta"
    if not meta.exists():
        return {}
    return json.loads(meta.read_text())["exit_code_by_key"]


def format_table(scores: Sequence[ModuleScore]) -> str:
    header = ("module", "killed", "timeout", "survived", "no tests", "unchecked", "score")
    rows = [
        (
            s.module,
            str(s.killed),
            str(s.timeout),
            str(s.survived),
            str(s.no_tests),
            str(s.unchecked),
            "-" if s.score is None else f"{s.score:.1f} %",
        )
        for s in scores
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in (header, *rows)
    ]
    return "\n".join(lines)


def below_minimum(scores: Sequence[ModuleScore], minimum: float) -> list[ModuleScore]:
    """Modules under the minimum, and modules with no result at all (a run that never happened fails too)."""
    return [s for s in scores if s.score is None or s.score < minimum]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(LISTED_MODULES), help="source files, as mutmut saw them")
    parser.add_argument("--mutants-dir", type=Path, default=Path("mutants"))
    parser.add_argument("--minimum", type=float, default=MINIMUM_SCORE, help="fail below this score (percent)")
    args = parser.parse_args(argv)
    scores = [score_module(module, load_exit_codes(args.mutants_dir, module)) for module in args.modules]
    print(format_table(scores))
    failing = below_minimum(scores, args.minimum)
    for score in failing:
        if score.score is None:
            print(f"{score.module}: no result (mutmut has not run it)")
        else:
            print(f"{score.module}: {score.score:.1f} % is below {args.minimum:g} %")
    if failing:
        print("survivors: `mutmut results`; one mutant's diff: `mutmut show <name>`")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
