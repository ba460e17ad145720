"""The README is the front door: its commands exist and run, its columns are the real ones."""

from __future__ import annotations

import argparse
import io
import re
import shlex
from pathlib import Path

import pytest

from shipments.cli import build_parser, main
from shipments.db import REPO_ROOT
from shipments.exchange.export import SHIPMENT_COLUMNS

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def code_block_after(heading: str) -> str:
    start = README.index(heading)
    match = re.search(r"```(?:sh)?\n(.*?)```", README[start:], flags=re.DOTALL)
    assert match, f"no code block after {heading!r}"
    return match.group(1)


def table_after(heading: str) -> list[str]:
    section = README[README.index(heading) :]
    table = section[section.index("\n|") :].split("\n\n", 1)[0]
    return re.findall(r"^\| `([^`|]+)`", table, flags=re.MULTILINE)


def subcommands() -> set[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(actions[0].choices)


def test_exactly_two_setup_commands():
    dashboard = code_block_after("Install and run the dashboard").strip()
    tests = code_block_after("Install and run the tests").strip()
    assert dashboard.endswith("streamlit run dashboard.py")
    assert tests.endswith("python -m pytest")
    assert "\n" not in dashboard
    assert "\n" not in tests


def test_ci_runs_the_readme_test_command():
    tests = code_block_after("Install and run the tests").strip()
    assert tests in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_command_table_lists_every_command():
    documented = {row.split()[0] for row in table_after("| command | what it does |")}
    assert documented == subcommands()
    top = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for group in ("claims", "editors"):
        actions = top.choices[group]._actions
        nested = next(a for a in actions if isinstance(a, argparse._SubParsersAction))
        documented_actions = {
            row.split()[1]
            for row in table_after("| command | what it does |")
            if row.startswith(f"{group} ")
        }
        assert documented_actions == set(nested.choices), group


def test_reading_specs_in_the_readme_parse():
    from shipments.claims import parse_reading_spec
    from shipments.models import ClaimReadingCreate
    from shipments.rules import parse

    specs = table_after("| reading | counts the shipments dated |")
    assert len(specs) == 4
    for spec in specs:
        parse(ClaimReadingCreate, parse_reading_spec(spec))


def test_export_columns_are_documented_in_order():
    assert tuple(table_after("### Export columns")) == SHIPMENT_COLUMNS


def test_the_documented_session_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.delenv("LEDGER_EDITOR", raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'readme.db'}"
    lines = [line for line in code_block_after("## Command line").splitlines() if line.strip()]
    assert all("python -m shipments " in line for line in lines)
    commands = set()
    for line in lines:
        command, _, comment = line.partition("#")
        stdin = ""
        if " | python -m shipments " in command:
            piped, command = command.split(" | ", 1)
            stdin = shlex.split(piped)[1] + "\n"
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        words = shlex.split(command)
        commands.add(words[3])
        expected = int(comment.split()[1].rstrip(":")) if comment.startswith(" exits") else 0
        code = main(["--database-url", url, *words[3:]])
        assert code == expected, f"{line!r} exited {code}: {capsys.readouterr().err}"
    assert commands == subcommands()
    assert (tmp_path / "ledger.csv").read_text(encoding="utf-8").count("\n") == 5
