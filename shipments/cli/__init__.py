"""Command line over the ledger library: ``python -m shipments COMMAND``.

Every command opens the database named by ``--database-url`` or ``LEDGER_DATABASE_URL``, upgrades
and seeds it if needed, and calls the same functions the dashboard calls; it exits with one of
``Exit``. ``commands`` holds the command table, ``options`` the arguments and ``inputs`` how they
are read, ``running`` how a command runs, ``handlers`` what each command does, ``output`` how its
result is printed. Every write a command makes records the operating-system user and host beside
the editor it names (``from_shell``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from shipments.cli.commands import COMMANDS, Exit, build_parser

__all__ = ["COMMANDS", "Exit", "main"]


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run one command and return its exit status."""
    args = build_parser().parse_args(argv)
    # The library is imported once a command is to run: --help and usage errors need none of it.
    from shipments.cli.running import run

    return run(args, stdout or sys.stdout, sys.stderr)
