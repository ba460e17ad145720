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
    assert [group.name for group in groups] == [
        "claims",
        "discrepancies",
        "consignments",
        "editors",
    ]
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


def test_the_start_section_makes_the_first_editor(tmp_path: Path, monkeypatch, capsys):
    """Right after the command that runs the dashboard: the one that makes an editor."""
    start = README[README.index("## Start") : README.index("## The dashboard")]
    assert start.index("streamlit run dashboard.py") < start.index("Create the first editor")
    command = code_block_after("Create the first editor account").strip()
    assert "\n" not in command
    words = shlex.split(command)
    assert words[:5] == [".venv/bin/python", "-m", "shipments", "editors", "add"]
    url = f"sqlite:///{tmp_path / 'start.db'}"
    # It asks for the password twice at a terminal; the same command reads it from stdin here.
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase for the start\n"))
    assert main(["--database-url", url, *words[3:], "--password-stdin"]) == 0
    assert capsys.readouterr().out == f"added editor {words[5]}\n"


SHIPMENT_IDS = ("correct", "history", "retract")  # the commands that name a shipment by its id


@pytest.mark.parametrize("ledger", ["seeded", "empty"])
def test_the_documented_session_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, ledger: str
):
    """The session runs as written on the seeded ledger, and on one made by ``init --empty``.

    It names only the shipment it adds, by the id ``add`` printed: 5 after the seed's four, and
    on the empty ledger whatever ``add`` says, put in its place.
    """
    monkeypatch.delenv("LEDGER_EDITOR", raising=False)
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'readme.db'}"
    if ledger == "empty":
        assert main(["--database-url", url, "init", "--empty"]) == 0
    lines = [line for line in code_block_after("## Command line").splitlines() if line.strip()]
    assert all("python -m shipments " in line for line in lines)
    commands = set()
    added: str | None = None
    claimed: str | None = None
    for line in lines:
        command, _, comment = line.partition("#")
        stdin = ""
        if " | python -m shipments " in command:
            piped, command = command.split(" | ", 1)
            stdin = shlex.split(piped)[1] + "\n"
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        words = shlex.split(command)
        commands.add(words[3])
        if words[3] in SHIPMENT_IDS:
            assert added is not None, f"{line!r} names a shipment before the session adds one"
            written, words[4] = words[4], added
            assert ledger == "empty" or written == added, f"{line!r}: add said {added}"
        if words[3:5] == ["discrepancies", "explain"]:
            assert claimed is not None, f"{line!r} names a claim before the session adds one"
            assert added is not None, f"{line!r} names a shipment before the session adds one"
            written, words[5] = words[5], claimed
            assert ledger == "empty" or written == claimed, f"{line!r}: claims add said {claimed}"
            words[words.index("--link") + 1] = f"shipment:{added}"
        expected = int(comment.split()[1].rstrip(":")) if comment.startswith(" exits") else 0
        code = main(["--database-url", url, *words[3:]])
        out, err = capsys.readouterr()
        assert code == expected, f"{line!r} exited {code}: {err}"
        if words[3] == "add":
            added = re.match(r"added shipment (\d+):", out).group(1)  # type: ignore[union-attr]
        if words[3:5] == ["claims", "add"]:
            claimed = re.match(r"added claim (\d+):", out).group(1)  # type: ignore[union-attr]
    assert commands == subcommands()
    current = 5 if ledger == "seeded" else 1  # exported before the retraction
    assert (tmp_path / "ledger.csv").read_text(encoding="utf-8").count("\n") == 1 + current


def test_the_consignment_story_runs_as_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    """The seed's 29 March delivery recorded again as received: counted twice, then linked and
    counted once, each command exiting and printing as its comment says."""
    monkeypatch.delenv("LEDGER_EDITOR", raising=False)
    url = f"sqlite:///{tmp_path / 'story.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase for ana\n"))
    assert main(["--database-url", url, "editors", "add", "ana", "--password-stdin"]) == 0
    capsys.readouterr()
    block = code_block_after("### Consignments: one cargo recorded twice")
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 6
    for line in lines:
        command, _, comment = line.partition("#")
        expected = int(comment.split()[1].rstrip(":")) if comment.startswith(" exits") else 0
        code = main(["--database-url", url, *shlex.split(command)[3:]])
        out, err = capsys.readouterr()
        assert code == expected, f"{line!r} exited {code}: {err}"
        said = comment.strip().partition(": ")[0]  # what the command prints, before the gloss
        if said.startswith(("5 shipments", "5 records")):
            head, _, tail = said.partition("...")
            assert head.strip() in out, out
            assert tail.strip() in out, out


def test_every_file_the_readme_links_to_is_in_the_repository():
    from shipments.db import REPO_ROOT

    targets = re.findall(r"\]\(((?!https?:)[^)#\s]+)\)", README)
    assert "docs/screenshots/overview-phone.png" in targets
    assert [t for t in targets if not (REPO_ROOT / t).exists()] == []
