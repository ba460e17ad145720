"""The README is the front door: its commands exist and run, its columns are the real ones."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from shipments.cli import COMMANDS, Exit, main
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
    return {command.name for command in COMMANDS}


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
    rows = table_after("| command | what it does |")
    assert {row.split()[0] for row in rows} == subcommands()
    groups = [command for command in COMMANDS if command.actions]
    assert [group.name for group in groups] == ["claims", "discrepancies", "editors"]
    for group in groups:
        documented = {row.split()[1] for row in rows if row.startswith(f"{group.name} ")}
        assert documented == {action.name for action in group.actions}, group.name


def test_exit_statuses_are_stated_once_and_as_the_code_has_them():
    section = README[README.index("## Command line") : README.index("## Claims and reconciliation")]
    assert section.count("Exit status") == 1
    statement = " ".join(section[section.index("Exit status") :].split("\n\n")[0].split())
    stated = re.findall(r"(?:: |; )(\d) ([^;]*)", statement)
    assert [int(status) for status, _ in stated] == [status.value for status in Exit]
    meanings = [text for _, text in stated]
    assert meanings[0].startswith("done")
    assert "reconcile" in meanings[1]
    assert "refused" in meanings[2]
    assert "database cannot be used" in meanings[3]


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
