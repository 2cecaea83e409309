"""The mutation report: mutmut's exit codes counted per module, scored, and the run failed below the minimum."""

from __future__ import annotations

import json
from pathlib import Path

from tools.mutation_report import ModuleScore, format_table, main, score_module


def _meta(mutants_dir: Path, module: str, exit_codes: dict[str, int | None]) -> None:
    path = mutants_dir / f"{module}.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": exit_codes, "durations_by_key": {}}))


def test_exit_codes_are_counted_by_what_they_mean_and_scored() -> None:
    # Given mutants killed by a failing test, by pytest's internal error, by a type check, by a timeout,
    # surviving, with no test, not run yet, and skipped
    codes = {"k1": 1, "k3": 3, "k37": 37, "t": -24, "s": 0, "n": 33, "u": None, "x": 34}
    # When they are scored
    score = score_module("m.py", codes)
    # Then killed and timeout count for the score, survived and no-tests against it, the rest are left out
    assert score == ModuleScore("m.py", killed=3, timeout=1, survived=1, no_tests=1, unchecked=1, other=1)
    assert score.score == 100.0 * 4 / 6


def test_the_table_has_one_row_per_module_with_its_score() -> None:
    # Given one scored module and one never run
    scores = [ModuleScore("a.py", killed=9, survived=1), ModuleScore("b.py", unchecked=3)]
    # When they are formatted
    lines = format_table(scores).splitlines()
    # Then each row names the module and its counts, with the score or a dash
    assert lines[0].split() == ["module", "killed", "timeout", "survived", "no", "tests", "unchecked", "score"]
    assert lines[1].split() == ["a.py", "9", "0", "1", "0", "0", "90.0", "%"]
    assert lines[2].split() == ["b.py", "0", "0", "0", "0", "3", "-"]


def test_the_report_fails_when_a_module_is_below_the_minimum_or_was_never_run(tmp_path: Path, capsys) -> None:
    # Given one module at 90 %, one at 80 % and one with no results
    _meta(tmp_path, "pkg/good.py", {f"g{i}": 1 for i in range(9)} | {"gs": 0})
    _meta(tmp_path, "pkg/weak.py", {f"w{i}": 1 for i in range(8)} | {"ws1": 0, "ws2": 0})
    # When the report runs with the default 90 % minimum
    modules = ["pkg/good.py", "pkg/weak.py", "pkg/never.py"]
    status = main([*modules, "--mutants-dir", str(tmp_path)])
    # Then it exits 1 and names the two modules that fall short
    assert status == 1
    failures = [line for line in capsys.readouterr().out.splitlines() if "below" in line or "no result" in line]
    assert failures == ["pkg/weak.py: 80.0 % is below 90 %", "pkg/never.py: no result (mutmut has not run it)"]
    # And with only the good module it passes
    assert main(["pkg/good.py", "--mutants-dir", str(tmp_path)]) == 0
