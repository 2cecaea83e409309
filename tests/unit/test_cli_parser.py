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
