"""The command line starts light: ``--help`` and usage errors import none of the library, and a
command imports the modules its handler needs, not every command's (``shipments.cli.commands``).

Each case runs in a fresh interpreter and reads ``sys.modules`` after the command: a module
imported eagerly again (at the top of the command table, of the options, or of a module they
import) fails here, whatever the machine's speed. The seconds are in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from shipments.cli.commands import COMMANDS, Command, handler

REPO_ROOT = Path(__file__).resolve().parent.parent
# Third-party packages that cost tens to hundreds of milliseconds to import.
HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "alembic", "xlsxwriter", "argon2", "psycopg")
# Parts of the library a command other than theirs should not pay for.
NOT_FOR_LIST = (
    "xlsxwriter",
    "argon2",
    "shipments.auth",
    "shipments.exchange.imports",
    "shipments.exchange.xlsx",
    "shipments.exchange.export",
    "shipments.exchange.package",
    "shipments.cli.exports",
    "shipments.cli.editors",
)
_MARK = "modules imported:"
_PROBE = f"""
import json, sys
from shipments.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
sys.stdout.flush()
print()
print({_MARK!r}, json.dumps(sorted(sys.modules)))
"""


def imported_by(argv: Sequence[str], *, database_url: str | None = None) -> set[str]:
    """Run ``python -m shipments ARGV`` in a fresh interpreter; return what it had imported."""
    flags = [] if database_url is None else ["--database-url", database_url]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *flags, *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    last = done.stdout.splitlines()[-1]
    assert last.startswith(_MARK), done.stdout + done.stderr
    return set(json.loads(last.removeprefix(_MARK)))


def top_level(modules: set[str]) -> set[str]:
    """Return the packages the modules belong to (``sqlalchemy.orm`` -> ``sqlalchemy``)."""
    return {name.partition(".")[0] for name in modules}


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["export", "--help"], ["lst"], ["list", "--as-of", "yesterday"]],
    ids=["help", "command-help", "unknown-command", "bad-argument"],
)
def test_help_and_usage_errors_import_none_of_the_heavy_packages(argv: list[str]) -> None:
    modules = imported_by(argv)
    assert "shipments.cli.commands" in modules  # the probe did run the command line
    assert top_level(modules) & set(HEAVY) == set()
    assert {m for m in modules if m.startswith("shipments.")} <= {
        "shipments.cli",
        "shipments.cli.commands",
        "shipments.cli.options",
        "shipments.errors",
        "shipments.rules",
        "shipments.units",
        "shipments.exchange",
        "shipments.exchange.import_columns",
    }


def test_list_imports_neither_the_exports_nor_the_importer_nor_the_password_hasher(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    imported_by(["init"], database_url=url)  # migrations and the seed, once
    modules = imported_by(["list"], database_url=url)
    assert "shipments.cli.handlers" in modules  # it ran the command
    assert set(NOT_FOR_LIST) & (modules | top_level(modules)) == set()


def every_command(commands: Sequence[Command] = COMMANDS) -> list[Command]:
    """Return every command and action that has a handler."""
    found = []
    for command in commands:
        found += every_command(command.actions) if command.actions else [command]
    return found


@pytest.mark.parametrize("command", every_command(), ids=lambda c: c.name)
def test_every_command_names_a_handler_that_exists(command: Command) -> None:
    name = command.run or command.offline
    assert name is not None
    assert callable(handler(name))


_COLLECTIONS_PROBE = """
import gc, json, sys, weakref
from shipments.cli import main
during_import = []  # generations collected while the library was being imported
def noticed(phase, info):
    importing = "sqlalchemy" in sys.modules and not hasattr(
        sys.modules.get("shipments.cli.running"), "run"
    )
    if phase == "start" and importing:
        during_import.append(info["generation"])
gc.callbacks.append(noticed)
class Garbage:
    pass
cycle = Garbage()
cycle.itself = cycle  # garbage of before the command: collected, not frozen for good
left = weakref.ref(cycle)
gc.collect()  # old by then: only a full collection would free it
del cycle
main(sys.argv[1:])
frozen = gc.get_freeze_count()
main(sys.argv[1:])
gc.collect()
print(json.dumps([during_import, gc.isenabled(), frozen, gc.get_freeze_count(), left() is None]))
"""


def test_a_command_imports_the_library_uncollected_then_sets_its_objects_aside(
    tmp_path: Path,
) -> None:
    """The collector pauses while the library is imported (it walked those objects again and
    again, about 0.1 s of every command's start), runs again after, and skips them from then on;
    garbage made before is freed, not frozen; a second command in the same process freezes
    nothing more."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    done = subprocess.run(
        [sys.executable, "-c", _COLLECTIONS_PROBE, "--database-url", url, "list"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    during_import, enabled, frozen, frozen_later, freed = json.loads(done.stdout.splitlines()[-1])
    assert during_import == []
    assert enabled is True
    assert frozen > 50_000  # SQLAlchemy's, SQLModel's and the models' objects (70,000 in 2026)
    assert frozen_later == frozen
    assert freed is True
