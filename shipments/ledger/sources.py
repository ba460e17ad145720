"""Sources of shipments and claims: each URL recorded once, as first described.

A source given again with its URL takes the recorded row; given with another publisher, title or
publication date it is refused under the field that gave it, showing the recorded one, so that
nothing an editor typed is dropped without a word.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from shipments.errors import InvalidInput, Problem
from shipments.ledger.read import find_source, row_id
from shipments.models import Source, SourceCreate
from shipments.transaction import Transaction


def get_or_add_source(*, tx: Transaction, source_in: SourceCreate, field: str) -> Source:
    """Return the source recorded for this URL, adding it to the write ``tx`` if it is new.

    A source is recorded once, as first described: a known URL given with another description
    is refused under ``field`` (e.g. "sources.0"), with the recorded one, never dropped silently.
    """
    existing = find_source(session=tx.session, url=source_in.url)
    if existing is not None:
        if problems := source_changes(existing, source_in, field=field):
            raise InvalidInput(problems)
        return existing
    source = Source(**source_in.model_dump(), recorded_by=tx.actor, recorded_at=tx.at)
    tx.session.add(source)
    tx.session.flush()
    return source


def source_changes(recorded: Source, given: SourceCreate, *, field: str) -> list[Problem]:
    """Return how ``given`` describes the recorded source otherwise, under ``field``."""
    if not given.described:
        return []
    problems = []
    for name, what in (("publisher", "publisher"), ("title", "title")):
        if getattr(given, name) != getattr(recorded, name):
            problems.append(Problem(f"{field}.{name}", _changed(recorded, what, name)))
    if given.published_date is not None and given.published_date != recorded.published_date:
        problems.append(Problem(f"{field}.published_date", _changed(recorded, "date", "date")))
    return problems


def _changed(recorded: Source, what: str, name: str) -> str:
    shown = {
        "publisher": repr(recorded.publisher),
        "title": repr(recorded.title),
        "date": recorded.published_date.isoformat() if recorded.published_date else "none",
    }[what]
    return (
        f"{recorded.url} is already recorded (source {recorded.id}) with {name} {shown}; a"
        f" source keeps the description it was first recorded with: give the recorded {name}"
    )


def source_ids(tx: Transaction, sources: Sequence[SourceCreate]) -> dict[str, int]:
    """Return the id of each URL the ``sources`` name, adding the new ones to ``tx``."""
    wanted: dict[str, SourceCreate] = {}
    for s in sources:  # the first described mention of a URL describes it
        if s.url not in wanted or (s.described and not wanted[s.url].described):
            wanted[s.url] = s
    known = dict(
        tx.session.exec(
            select(col(Source.url), col(Source.id)).where(col(Source.url).in_(list(wanted)))
        ).all()
    )
    for url, source_in in wanted.items():
        if url not in known:
            known[url] = row_id(get_or_add_source(tx=tx, source_in=source_in, field="sources"))
    return {url: int(i) for url, i in known.items() if i is not None}
