"""The publish command: a static snapshot of what a viewer sees, for any static host.

The library (``shipments.publish``) is imported when the command runs: it brings plotly and
pandas, which no other command needs at start-up.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shipments.cli.commands import Exit
from shipments.cli.output import say
from shipments.cli.running import Context


def run_publish(args: argparse.Namespace, ctx: Context) -> Exit:
    """Write the snapshot into ``args.folder`` and say what it holds."""
    from shipments.publish.pages import MAX_PAGES
    from shipments.publish.snapshot import publish

    try:
        published = publish(session=ctx.session, folder=Path(args.folder))
    except OSError as exc:
        say(f"error: cannot write {exc.filename or args.folder}: {exc.strerror}", file=sys.stderr)
        return Exit.DATABASE
    cut = published.cut
    say(
        f"wrote {published.pages} pages and {published.files} files"
        f" ({published.bytes:,} bytes, of which plotly.js {published.plotly_bytes:,})"
        f" to {args.folder}: ledger version {cut.version}",
        file=ctx.out,
    )
    for kind, left in published.left_out.items():
        if left:
            say(
                f"note: {left:,} {kind}s have no page of their own (at most {MAX_PAGES} a"
                " snapshot, the first in alphabetical order); the index lists them",
                file=sys.stderr,
            )
    if cut.moved_to is not None:
        say(
            f"note: the ledger was written to while the snapshot was cut (version {cut.version}"
            f" to {cut.moved_to}); publish again for a snapshot of one version",
            file=sys.stderr,
        )
    return Exit.DONE
