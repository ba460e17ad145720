"""Command line over the ledger library: ``python -m shipments COMMAND``.

Every command opens the database named by ``--database-url`` or ``LEDGER_DATABASE_URL``, upgrades
and seeds it if needed, and calls the same functions the dashboard calls; it exits with one of
``Exit``. ``commands`` holds the command table, ``options`` the arguments and ``inputs`` how they
are read, ``running`` how a command runs, ``handlers`` what each command does, ``output`` how its
result is printed. Every write a command makes records the operating-system user and host beside
the editor it names (``from_shell``).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from shipments.cli.commands import COMMANDS, Exit, build_parser

__all__ = ["COMMANDS", "Exit", "main"]


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run one command and return its exit status."""
    args = build_parser().parse_args(argv)
    # The library is imported once a command is to run: --help and usage errors need none of it.
    with _uncollected_imports():
        from shipments.cli.running import run

    return run(args, stdout or sys.stdout, sys.stderr)


@contextmanager
def _uncollected_imports() -> Iterator[None]:
    """Import the library with the cyclic garbage collector paused, then set its objects aside.

    Importing SQLAlchemy, SQLModel and the models makes hundreds of thousands of objects that live
    as long as the process, and the collector walked them all again and again while they were
    being made (about 0.1 s of a command's start). Frozen (``gc.freeze``) once imported, they
    are not walked by the collections the command's own work triggers either. The garbage
    already in the process is collected first (a few milliseconds in a command), or it would be
    frozen with them and never freed: a process that calls ``main`` as a library (the tests)
    holds more of it than a command does when it first gets here. Only the first import does
    this: a process that calls ``main`` again freezes nothing more.
    """
    if "shipments.cli.running" in sys.modules:
        yield
        return
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.freeze()
