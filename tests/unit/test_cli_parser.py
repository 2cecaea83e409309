"""The command line's shape: global options on every command, and middle-truncation of long cells."""

import argparse

from hookwire.cli.main import build_parser
from hookwire.cli.output import shorten


def _leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not actions:
        return [prefix]
    leaves = []
    for name, sub in actions[0].choices.items():
        leaves += _leaf_commands(sub, (*prefix, name))
    return leaves


def test_every_command_takes_json_and_the_connection_options_after_its_name() -> None:
    # Given every leaf command of the parser
    parser = build_parser()
    leaves = _leaf_commands(parser)
    assert ("trigger",) in leaves and len(leaves) > 25
    for leaf in leaves:
        # When the global options follow the command
        options = {o for a in _parser_of(parser, leaf)._actions for o in a.option_strings}
        # Then the command's own parser knows them
        assert {"--json", "--api-url", "--token", "--profile"} <= options, leaf


def _parser_of(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> argparse.ArgumentParser:
    for name in path:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def test_a_global_option_before_the_command_is_not_reset_by_the_command() -> None:
    args = build_parser().parse_args(["--json", "--api-url", "http://a", "hooks", "list"])
    assert args.json is True and args.api_url == "http://a"


def test_long_values_lose_their_middle_and_keep_both_ends() -> None:
    url = "https://hooks.example.com/" + "x" * 80 + "/receiver"
    short = shorten(url, 30)
    assert len(short) == 30 and short.startswith("https://hooks.ex") and short.endswith("receiver")
    assert shorten("short", 30) == "short"


def _documented_commands() -> list[list[str]]:
    """The command words of each row of docs/cli.md's command table (up to the first option or placeholder)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    table = text.split("## Commands")[1].split("\n## ")[0]
    commands = []
    for cell in re.findall(r"^\| `hookwire ([^`]*)`", table, re.MULTILINE):
        words = []
        for word in cell.split():
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            words.append(word)
        commands.append(words)
    return commands


def test_every_command_in_the_cli_reference_exists() -> None:
    parser = build_parser()
    documented = _documented_commands()
    assert len(documented) >= 15
    for words in documented:
        target = parser
        for word in words:
            action = next((a for a in target._actions if isinstance(a, argparse._SubParsersAction)), None)
            if action is None:
                break
            assert word in action.choices, words
            target = action.choices[word]


def test_the_exit_code_table_is_the_one_the_cli_uses() -> None:
    import re
    from pathlib import Path

    from hookwire.cli.errors import ExitCode

    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    table = text.split("## Errors and exit codes")[1].split("\n## ")[0]
    assert {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)} == {int(c) for c in ExitCode}


def test_recover_and_replay_take_a_time_or_how_long_ago() -> None:
    # Given a fixed now, When --since is a duration or an RFC 3339 time
    from datetime import UTC, datetime

    from hookwire.cli.commands import time_argument

    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    # Then a duration means that long before now, and a time is passed on as given
    assert time_argument("36h", now) == "2026-03-01T00:00:00+00:00"
    assert time_argument("2026-03-01T00:00:00Z", now) == "2026-03-01T00:00:00Z"
    args = build_parser().parse_args(["hooks", "replay", "hook_1", "--type", "order.*", "--since", "1d", "--wait"])
    assert (args.hook_id, args.type, args.since, args.wait) == ("hook_1", "order.*", "1d", True)
