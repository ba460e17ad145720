"""Command line over the ledger library: ``python -m shipments COMMAND``.

Every command opens the database named by ``--database-url`` or ``LEDGER_DATABASE_URL``, upgrades
and seeds it if needed, and calls the same functions the dashboard calls; it exits with one of
``Exit``. ``commands`` holds the command table, ``options`` the arguments and how they are read,
``handlers`` what each command does, ``output`` how its result is printed. Every write a command
makes records the operating-system user and host beside the editor it names (``from_shell``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TextIO

from sqlalchemy.exc import SQLAlchemyError

from shipments.cli import output
from shipments.cli.commands import COMMANDS, build_parser
from shipments.cli.handlers import Context, Exit
from shipments.db import make_engine, session_scope
from shipments.errors import InvalidInput, LedgerError
from shipments.seed import configured_seed, prepare_database
from shipments.transaction import from_shell

__all__ = ["COMMANDS", "Exit", "main"]


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """Run one command and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.offline is not None:
            status: Exit = args.offline(args, stdout or sys.stdout)
            return status
        with from_shell():
            try:
                engine = make_engine(args.database_url)
            except ValueError as exc:  # a URL that parses but cannot be (a port not a number)
                return _database_error(args, exc)
            seeded = prepare_database(engine, seed_dir=_seed_choice(args))
            try:
                with session_scope(engine) as session:
                    status = args.run(args, Context(session, stdout or sys.stdout, engine, seeded))
            finally:
                engine.dispose()
        return status
    except InvalidInput as exc:
        output.refusal(exc, sys.stderr, args.flags)
        return Exit.REFUSED
    except LedgerError as exc:
        output.say(f"error: {exc}", file=sys.stderr)
        return Exit.REFUSED
    except BrokenPipeError:
        raise  # the reader went away (`| head`): python -m shipments stops quietly
    except OSError as exc:
        if exc.filename is None or exc.filename not in _files_written(args):
            return _database_error(args, exc)
        output.say(f"error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return Exit.DATABASE
    except SQLAlchemyError as exc:
        return _database_error(args, exc)


def _seed_choice(args: argparse.Namespace) -> Path | Literal["configured"] | None:
    """Return the seed ``init --empty`` / ``--seed DIR`` asks for, else the configured one."""
    given = getattr(args, "seed", None)
    return "configured" if given is None else configured_seed(given, field="seed")


def _files_written(args: argparse.Namespace) -> set[str]:
    """Return the files the command was asked to write (``--output``, ``--errors``)."""
    return {name for name in (getattr(args, "output", None), getattr(args, "errors", None)) if name}


def _database_error(args: argparse.Namespace, exc: Exception) -> Exit:
    output.say(
        f"error: cannot use the database at {output.redacted(args.database_url)}: "
        f"{exc.__class__.__name__}: {exc}",
        file=sys.stderr,
    )
    return Exit.DATABASE
