"""Corroboration: how many independent sources support each shipment.

An independent source is a publisher, compared casefolded and trimmed. A shipment's are the
publishers of its revision's sources, with those of the claims that support it alone: a claim
with a single-delivery reading that is consistent and matches exactly that shipment. A
publisher both among the sources and behind such a claim counts once. As of a moment, both
sides are read as they stood then: the revision standing, and the claims checked against it.

Claims are few and their readings are checked in Python (``shipments.reconcile``); shipments
may be a million, so nothing here reads every shipment. The sources' side is counted by the
database (``ShipmentFilter.sources_at_least``), and Python adds the claims' side for the few
shipments a claim supports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from shipments.ledger import ShipmentFilter, current_revisions_query
from shipments.models import RevisionSourceLink, Source
from shipments.reconcile import CONSISTENT, reconcile
from shipments.rules import SCOPES

ClaimPublishers = Mapping[int, frozenset[str]]  # shipment id -> the claims' publishers (keys)
_BATCH = 500
SINGLE = "single"  # the reading scope of one delivery
# Single-delivery readings are checked with a query each, up to this many (see claim_publishers).
SINGLE_QUERIES_UP_TO = 10_000
assert SINGLE in SCOPES


def publisher_key(publisher: str) -> str:
    """Return the form in which two spellings of one publisher compare equal."""
    return publisher.strip().casefold()


def count_sources(publishers: Iterable[str], claimed: Iterable[str] = ()) -> int:
    """Count the independent sources among a shipment's publishers and its claims' publishers."""
    return len({publisher_key(p) for p in publishers} | {publisher_key(p) for p in claimed})


def claim_publishers(*, session: Session, as_of: datetime | None = None) -> ClaimPublishers:
    """Return, by shipment, the publishers of the claims that support it alone (module doc)."""
    found: dict[int, set[str]] = {}
    # Only single-delivery readings count, each a day's shipments: one indexed query apiece
    # (213 of them took 0.26 s at a million shipments, 64 MB), where reading the ledger into
    # arrays for every claim took a server's first download from 0.4 to 58 MB (bench/RESULTS.md).
    checked = reconcile(
        session=session, as_of=as_of, scopes={SINGLE}, one_pass_from=SINGLE_QUERIES_UP_TO
    )
    for item in checked.claims:
        for result in item.readings:
            if (
                result.verdict == CONSISTENT
                and result.shipment_count == 1
                and len(result.shipment_ids) == 1
            ):
                key = publisher_key(item.claim.source.publisher)
                found.setdefault(result.shipment_ids[0], set()).add(key)
    return {shipment: frozenset(keys) for shipment, keys in found.items()}


def source_publishers(
    *, session: Session, shipment_ids: Iterable[int], as_of: datetime | None = None
) -> dict[int, frozenset[str]]:
    """Return the publishers (keys) of these shipments' standing revisions' sources; a shipment
    that does not stand (retracted, or not yet recorded at ``as_of``) is left out."""
    wanted = sorted(set(shipment_ids))
    found: dict[int, set[str]] = {}
    standing = current_revisions_query(as_of).subquery()
    for start in range(0, len(wanted), _BATCH):
        rows = session.execute(
            sa_select(standing.c.shipment_id, col(Source.publisher))
            .outerjoin(RevisionSourceLink, col(RevisionSourceLink.revision_id) == standing.c.id)
            .outerjoin(Source, col(Source.id) == col(RevisionSourceLink.source_id))
            .where(standing.c.shipment_id.in_(wanted[start : start + _BATCH]))
        )
        for shipment, publisher in rows:
            keys = found.setdefault(shipment, set())
            if publisher is not None:
                keys.add(publisher_key(publisher))
    return {shipment: frozenset(keys) for shipment, keys in found.items()}


def publisher_spellings(*, session: Session) -> tuple[tuple[str, str], ...]:
    """Return each publisher spelling that another spelling of it stands for, with that one.

    The first spelling, in sort order, stands for the others; a publisher spelt one way only is
    not listed, so the list is empty unless the sources disagree on case or spaces.
    """
    spellings: dict[str, list[str]] = {}
    # Sorted here, not by the database, whose collation may differ between backends.
    for publisher in sorted(session.execute(sa_select(col(Source.publisher)).distinct()).scalars()):
        spellings.setdefault(publisher_key(publisher), []).append(publisher)
    return tuple(
        (other, spelt[0]) for spelt in spellings.values() if len(spelt) > 1 for other in spelt[1:]
    )


def resolve(
    *,
    session: Session,
    filters: ShipmentFilter | None,
    as_of: datetime | None = None,
    claims: ClaimPublishers | None = None,
) -> ShipmentFilter | None:
    """Return the filter ready for the ledger: its sources_at_least made countable (class doc
    of ``ShipmentFilter``); a filter without one, or resolved already, comes back as it is.

    ``claims``: ``claim_publishers`` as of the same moment, when the caller has them.
    """
    if filters is None or filters.sources_at_least is None or filters.claimed is not None:
        return filters
    if claims is None:
        claims = claim_publishers(session=session, as_of=as_of)
    sources = source_publishers(session=session, shipment_ids=claims, as_of=as_of)
    claimed = tuple(
        sorted(
            shipment
            for shipment, keys in claims.items()
            if shipment in sources
            and count_sources(sources[shipment], keys) >= filters.sources_at_least
        )
    )
    return replace(
        filters, publisher_spellings=publisher_spellings(session=session), claimed=claimed
    )
