"""One parsed command run: open the database, call the command's handler, map errors to exits.

``main`` imports this module once the arguments are parsed, so that ``--help`` and a usage error
import none of the library (tests/test_cli_startup.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from shipments.cli import output
from shipments.cli.commands import Exit, handler
from shipments.db import make_engine, session_scope
from shipments.errors import InvalidInput, LedgerError
from shipments.seed import Seeded, configured_seed, prepare_database
from shipments.transaction import from_shell


@dataclass(frozen=True)
class Context:
    """What a handler works with besides its arguments."""

    session: Session
    out: TextIO
    engine: Engine
    seeded: Seeded


Handler = Callable[[argparse.Namespace, Context], Exit]
OfflineHandler = Callable[[argparse.Namespace, TextIO], Exit]  # needs no database


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    """Run the parsed command, writing to ``out``; say on ``err`` why it could not."""
    try:
        if args.offline is not None:
            offline: OfflineHandler = handler(args.offline)
            return offline(args, out)
        command: Handler = handler(args.run)
        with from_shell():
            try:
                engine = make_engine(args.database_url)
            except ValueError as exc:  # a URL that parses but cannot be (a port not a number)
                return _database_error(args, exc, err)
            seeded = prepare_database(engine, seed_dir=_seed_choice(args))
            try:
                with session_scope(engine) as session:
                    status = command(args, Context(session, out, engine, seeded))
            finally:
                engine.dispose()
        return status
    except InvalidInput as exc:
        output.refusal(exc, err, args.flags)
        return Exit.REFUSED
    except LedgerError as exc:
        output.say(f"error: {exc}", file=err)
        return Exit.REFUSED
    except BrokenPipeError:
        raise  # the reader went away (`| head`): python -m shipments stops quietly
    except OSError as exc:
        if exc.filename is None or exc.filename not in _files_written(args):
            return _database_error(args, exc, err)
        output.say(f"error: cannot write {exc.filename}: {exc.strerror}", file=err)
        return Exit.DATABASE
    except SQLAlchemyError as exc:
        return _database_error(args, exc, err)


def _seed_choice(args: argparse.Namespace) -> Path | Literal["configured"] | None:
    """Return the seed ``init --empty`` / ``--seed DIR`` asks for, else the configured one."""
    given = getattr(args, "seed", None)
    return "configured" if given is None else configured_seed(given, field="seed")


def _files_written(args: argparse.Namespace) -> set[str]:
    """Return the files the command was asked to write (``--output``, ``--errors``)."""
    return {name for name in (getattr(args, "output", None), getattr(args, "errors", None)) if name}


def _database_error(args: argparse.Namespace, exc: Exception, err: TextIO) -> Exit:
    output.say(
        f"error: cannot use the database at {output.redacted(args.database_url)}: "
        f"{exc.__class__.__name__}: {exc}",
        file=err,
    )
    return Exit.DATABASE
