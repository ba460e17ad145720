"""The editors commands: the accounts that may change the ledger (add, set-email, disable, list)."""

from __future__ import annotations

import argparse

from shipments.auth import add_editor, disable_editor, list_editors, set_editor_email
from shipments.cli import output
from shipments.cli.commands import Exit
from shipments.cli.inputs import password_from, shell_user
from shipments.cli.output import say
from shipments.cli.running import Context


def run_editors_add(args: argparse.Namespace, ctx: Context) -> Exit:
    """Create an editor account."""
    editor = add_editor(
        session=ctx.session,
        name=args.name,
        password=password_from(args),
        by=shell_user(),
        email=args.email,
    )
    say(f"added editor {editor.name}", file=ctx.out)
    return Exit.DONE


def run_editors_set_email(args: argparse.Namespace, ctx: Context) -> Exit:
    """Give an editor account its e-mail address."""
    editor = set_editor_email(
        session=ctx.session, name=args.name, email=args.email, by=shell_user()
    )
    say(f"editor {editor.name}: e-mail {editor.email}", file=ctx.out)
    return Exit.DONE


def run_editors_disable(args: argparse.Namespace, ctx: Context) -> Exit:
    """Stop an editor signing in or writing."""
    editor = disable_editor(session=ctx.session, name=args.name, by=shell_user())
    say(f"disabled editor {editor.name}", file=ctx.out)
    return Exit.DONE


def run_editors_list(args: argparse.Namespace, ctx: Context) -> Exit:
    """Print every editor account."""
    output.editors_table(list_editors(session=ctx.session), ctx.out)
    return Exit.DONE
