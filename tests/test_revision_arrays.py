"""The kept copy of the revision history (shipments.revision_arrays) always equals a whole read.

Whatever happened since it was kept (appends, corrections, retractions, a revision that
committed late below the highest id, another database at the same name, a damaged file), the
history it hands out is the one a whole read of the database gives, and so are the indexes of
the shipments standing now and at any moment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from shipments import revision_arrays
from shipments.corroboration import resolve
from shipments.ledger import (
    ShipmentFilter,
    append_shipment,
    correct_shipment,
    daily_totals,
    iter_current_shipments,
    retract_shipment,
)
from shipments.models import ShipmentCorrection
from shipments.reconcile import reconcile
from shipments.revision_arrays import (
    current_history,
    ledger_index,
    view_daily_totals,
    view_page,
)
from shipments.revision_store import CACHE_SETTING, History
from tests.factories import history_unlocked, make_shipment


@pytest.fixture(autouse=True)
def kept_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the copies of this test in a folder of its own, and none in memory to begin with."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_SETTING, str(folder))
    revision_arrays.forget()
    return folder


@pytest.fixture
def ids_can_come_late(seeded_engine: Engine) -> None:
    """Run the test on PostgreSQL only: SQLite's one writer takes ids in order, so no revision
    can commit below one already visible."""
    if seeded_engine.dialect.name == "sqlite":
        pytest.skip("SQLite's one writer takes ids in order: no revision can come late")


def whole(session: Session) -> History:
    """Return the history as a whole read gives it, past every kept copy."""
    return revision_arrays._read_whole(session.connection())


def assert_same(kept: History, read: History, moments: list[datetime]) -> None:
    """Assert two histories hold the same revisions, and stand the same now and at each moment."""
    assert (kept.count, kept.highest, kept.highest_facts) == (
        read.count,
        read.highest,
        read.highest_facts,
    )
    for name in ("revision", "shipment", "day", "mass", "recorded", "superseded", "retract"):
        assert np.array_equal(kept.arrays[name], read.arrays[name]), name
    names = [kept.spellings[n] for n in kept.arrays["spelled"]]
    assert names == [read.spellings[n] for n in read.arrays["spelled"]]
    pairs = [(kept.now, read.now)] + [(kept.standing(m), read.standing(m)) for m in moments]
    for ours, theirs in pairs:
        assert [ours.keys[int(k) >> 20] for k in ours.key_day] == [
            theirs.keys[int(k) >> 20] for k in theirs.key_day
        ]
        for name in ("running", "day_sorted", "day_ids"):
            assert np.array_equal(ours.arrays[name], theirs.arrays[name]), name


def a_moment_ago() -> datetime:
    return datetime.now(UTC) - timedelta(microseconds=1)


def test_the_kept_copy_follows_appends_corrections_and_retractions(
    seeded_session: Session,
) -> None:
    session = seeded_session
    first = current_history(session)
    assert first.count == whole(session).count > 0
    moments = [a_moment_ago()]
    added = append_shipment(
        session=session, shipment_in=make_shipment(donor="Japan"), by="ana", via="cli"
    )
    moments.append(a_moment_ago())
    correct_shipment(
        session=session,
        shipment_id=1,
        correction_in=ShipmentCorrection(tonnes="70", reason="the manifest says 70 t"),
        by="ana",
        via="cli",
    )
    moments.append(a_moment_ago())
    retract_shipment(
        session=session, shipment_id=added.id, reason="a duplicate", by="bo", via="cli"
    )
    moments.append(a_moment_ago())
    kept = current_history(session)
    assert kept.count == first.count + 3
    assert_same(kept, whole(session), moments)
    revision_arrays.forget()  # a new process: starts from the file
    assert_same(current_history(session), whole(session), moments)


def test_a_new_process_starts_from_the_kept_file_without_reading_the_history(
    seeded_session: Session, kept_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = current_history(seeded_session)
    assert len(list(kept_in.glob("revisions-*.arrays"))) == 1
    revision_arrays.forget()

    def no_whole_read(connection: Any) -> History:
        raise AssertionError("the history was read whole")

    monkeypatch.setattr(revision_arrays, "_read_whole", no_whole_read)
    again = current_history(seeded_session)
    assert again.count == kept.count
    assert np.array_equal(again.now.key_day, kept.now.key_day)


COPY_OF_FIRST = text(
    "INSERT INTO shipment_revision (shipment_id, revision, action, event_date, date_means, donor,"
    " recipient, cargo, cargo_description, note, mass_kg, recorded_by, recorded_at)"
    " SELECT shipment_id, :revision, 'correct', event_date, date_means, donor, recipient, cargo,"
    " cargo_description, note, mass_kg + :revision, 'test', :at FROM shipment_revision"
    " WHERE id = 1 RETURNING id"
)


@pytest.mark.usefixtures("ids_can_come_late")
def test_a_revision_that_commits_late_below_the_highest_id_is_not_missed(
    seeded_engine: Engine,
) -> None:
    """PostgreSQL hands out ids before commit: a transaction that takes an id, then waits while
    another takes a higher one and commits, commits a revision below the highest id a copy read
    in between holds. (Raw revision rows: the copy must equal a whole read, whatever they are.)"""
    at = datetime.now(UTC).replace(tzinfo=None)
    with seeded_engine.connect() as slow, seeded_engine.connect() as quick:
        slow_id = slow.execute(COPY_OF_FIRST, {"revision": 10, "at": at}).scalar_one()
        quick_id = quick.execute(COPY_OF_FIRST, {"revision": 11, "at": at}).scalar_one()
        quick.commit()
        assert slow_id < quick_id
        with Session(seeded_engine) as session:
            kept = current_history(session)
            assert kept.highest == quick_id
        slow.commit()
    with Session(seeded_engine) as session:
        kept = current_history(session)
        assert slow_id in kept.arrays["revision"]
        assert_same(kept, whole(session), [])


def test_only_postgresql_looks_in_the_gaps_and_nothing_counts_the_revisions(
    seeded_session: Session,
) -> None:
    """Counting a million revisions costs a tenth of a second: SQLite's one writer takes ids in
    order, so only PostgreSQL, where one can come late, looks for one, and only in the gaps."""
    kept = current_history(seeded_session)
    append_shipment(session=seeded_session, shipment_in=make_shipment(), by="ana", via="cli")
    statements: list[str] = []
    engine = seeded_session.connection().engine

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert current_history(seeded_session).count == kept.count + 1
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements
    assert not any("count(" in s.lower() for s in statements)
    looked = any("unnest(" in s.lower() for s in statements)
    assert looked == (engine.dialect.name == "postgresql")


@pytest.mark.parametrize(
    ("ids", "low", "high"),
    [
        ([], [], []),
        ([1, 2, 3], [], []),
        ([3, 4, 7, 8, 20], [0, 4, 8], [3, 7, 20]),
        ([2], [0], [2]),
    ],
)
def test_the_gaps_are_the_ids_missing_below_the_highest(
    ids: list[int], low: list[int], high: list[int]
) -> None:
    found = revision_arrays._gaps(np.array(ids, dtype=np.int64))
    assert [list(found[0]), list(found[1])] == [low, high]


@pytest.mark.usefixtures("ids_can_come_late")
def test_a_late_revision_in_an_old_gap_is_found_after_the_copy_moved_on(
    seeded_engine: Engine, kept_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gap stays one through later updates of the copy, a new process's file included; an id
    that never commits (rolled back) costs no whole read, and one that does is found."""
    at = datetime.now(UTC).replace(tzinfo=None)
    with seeded_engine.connect() as slow, seeded_engine.connect() as quick:
        slow_id = slow.execute(COPY_OF_FIRST, {"revision": 10, "at": at}).scalar_one()
        with seeded_engine.connect() as dropped:
            dropped_id = dropped.execute(COPY_OF_FIRST, {"revision": 12, "at": at}).scalar_one()
            dropped.rollback()
        quick.execute(COPY_OF_FIRST, {"revision": 11, "at": at})
        quick.commit()
        with Session(seeded_engine) as session:
            first = current_history(session)
        assert {slow_id, dropped_id} <= set(range(1, first.highest)) - set(first.arrays["revision"])
        revision_arrays.forget()  # the next copy comes from the file, gaps and all
        quick.execute(COPY_OF_FIRST, {"revision": 13, "at": at})
        quick.commit()
        real_read_whole = revision_arrays._read_whole

        def no_whole_read(connection: Any) -> History:
            raise AssertionError("a gap that stays empty must not cost a whole read")

        monkeypatch.setattr(revision_arrays, "_read_whole", no_whole_read)
        with Session(seeded_engine) as session:
            moved_on = current_history(session)
        assert moved_on.highest > first.highest
        assert {slow_id, dropped_id} <= {
            int(n) for low, high in zip(*moved_on.gaps, strict=True) for n in range(low + 1, high)
        }
        monkeypatch.setattr(revision_arrays, "_read_whole", real_read_whole)
        slow.commit()
    with Session(seeded_engine) as session:
        kept = current_history(session)
        assert slow_id in kept.arrays["revision"]
        assert dropped_id not in kept.arrays["revision"]
        assert_same(kept, whole(session), [])


def _late_commit_found(
    engine: Engine, between: Any, *, no_merge_first: bool = False
) -> tuple[int, History]:
    """Take an id in a slow transaction, commit a higher one, call ``between()`` (which reads
    the copy while the slow id is a gap), commit the slow one; return its id and the copy then.
    ``no_merge_first``: nothing is written after ``between()``, so the next update has nothing
    to merge and must find the late revision from the gaps it holds."""
    at = datetime.now(UTC).replace(tzinfo=None)
    with engine.connect() as slow, engine.connect() as quick:
        slow_id = slow.execute(COPY_OF_FIRST, {"revision": 20, "at": at}).scalar_one()
        quick.execute(COPY_OF_FIRST, {"revision": 21, "at": at})
        quick.commit()
        between()
        if not no_merge_first:
            quick.execute(COPY_OF_FIRST, {"revision": 22, "at": at})
            quick.commit()
        slow.commit()
    with Session(engine) as session:
        return slow_id, current_history(session)


def _read_copy(engine: Engine) -> History:
    with Session(engine) as session:
        return current_history(session)


@pytest.mark.usefixtures("ids_can_come_late")
def test_a_late_revision_is_found_from_the_gaps_of_a_copy_read_from_its_file(
    seeded_engine: Engine,
) -> None:
    """A new process starts from the file: the gaps it holds are the ones looked in."""

    def read_then_forget() -> None:
        _read_copy(seeded_engine)
        revision_arrays.forget()  # the next use loads the file

    slow_id, kept = _late_commit_found(seeded_engine, read_then_forget, no_merge_first=True)
    assert slow_id in kept.arrays["revision"]
    with Session(seeded_engine) as session:
        assert_same(kept, whole(session), [])


@pytest.mark.usefixtures("ids_can_come_late")
def test_a_gap_that_appears_in_an_update_is_looked_in_later(seeded_engine: Engine) -> None:
    """A copy read before the slow transaction took its id gets that gap from an update (a
    merge), not from a whole read; the late revision is found from it."""
    _read_copy(seeded_engine)  # before the gap exists

    def update() -> None:
        assert len(_read_copy(seeded_engine).gaps[0]) >= 1

    slow_id, kept = _late_commit_found(seeded_engine, update, no_merge_first=True)
    assert slow_id in kept.arrays["revision"]
    with Session(seeded_engine) as session:
        assert_same(kept, whole(session), [])


@pytest.mark.usefixtures("ids_can_come_late")
def test_past_so_many_gaps_postgresql_counts_and_still_finds_a_late_revision(
    seeded_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each gap costs a lookup and a gap lasts: past GAPS_LOOKED_UP of them, counting the
    revisions is cheaper, and it finds a late revision as well."""
    monkeypatch.setattr(revision_arrays, "GAPS_LOOKED_UP", 0)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lower())

    event.listen(seeded_engine, "before_cursor_execute", seen)
    try:
        slow_id, kept = _late_commit_found(seeded_engine, lambda: _read_copy(seeded_engine))
    finally:
        event.remove(seeded_engine, "before_cursor_execute", seen)
    assert slow_id in kept.arrays["revision"]
    assert any("count(" in s for s in statements)
    assert not any("unnest(" in s for s in statements)
    with Session(seeded_engine) as session:
        assert_same(kept, whole(session), [])


def test_another_database_at_the_same_name_is_not_answered_from_the_copy(
    seeded_engine: Engine, database_url: str, kept_in: Path
) -> None:
    with Session(seeded_engine) as session:
        append_shipment(session=session, shipment_in=make_shipment(), by="ana", via="cli")
        current_history(session)
    with Session(seeded_engine) as session, history_unlocked(session):
        # The same count up to the same highest id, with other facts: another ledger.
        session.connection().execute(
            text("UPDATE shipment_revision SET mass_kg = mass_kg + 1 WHERE id = :id"),
            {"id": whole(session).highest},
        )
    with Session(seeded_engine) as session:
        assert_same(current_history(session), whole(session), [])


@pytest.mark.parametrize("damage", ["replaced", "cut short"])
def test_a_damaged_file_is_read_again(seeded_session: Session, kept_in: Path, damage: str) -> None:
    current_history(seeded_session)
    [kept_file] = kept_in.glob("revisions-*.arrays")
    whole_file = kept_file.read_bytes()
    if damage == "replaced":
        kept_file.write_bytes(b"not arrays")
    else:
        kept_file.write_bytes(whole_file[: len(whole_file) - 64])
    revision_arrays.forget()
    assert_same(current_history(seeded_session), whole(seeded_session), [])


def test_none_keeps_the_copy_in_memory_only(
    seeded_session: Session, kept_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_SETTING, "none")
    current_history(seeded_session)
    assert not kept_in.exists()


def test_reconciling_from_the_kept_copy_equals_a_query_per_reading_after_writes(
    seeded_session: Session,
) -> None:
    session = seeded_session
    before = a_moment_ago()
    reconcile(session=session, one_pass_from=0)  # keeps a copy
    correct_shipment(
        session=session,
        shipment_id=4,
        correction_in=ShipmentCorrection(tonnes="1", reason="a typing slip"),
        by="ana",
        via="cli",
    )
    for moment in (None, before):
        one_pass = reconcile(session=session, as_of=moment, one_pass_from=0)
        by_queries = reconcile(session=session, as_of=moment, one_pass_from=10_000)
        assert one_pass == by_queries
    assert ledger_index(session).running[-1] == whole(session).now.running[-1]


VIEWS = [
    None,
    ShipmentFilter(),
    ShipmentFilter(date_from=date(2019, 5, 1)),
    ShipmentFilter(date_to=date(2019, 5, 20), donors=("China",)),
    ShipmentFilter(donors=("china",)),  # another spelling: the database matches exactly
    ShipmentFilter(recipients=("Venezuela", "Cuba"), cargos=("medicine",)),
    ShipmentFilter(donors=("Japan",), recipients=("Venezuela",)),
]


@pytest.fixture
def history_with_changes(seeded_session: Session) -> tuple[Session, list[datetime]]:
    """Return the seed ledger with names spelt two ways, a correction, a retraction and a
    consignment link, and a moment before and after each."""
    from test_consignments import add_received, link

    session = seeded_session
    moments = [a_moment_ago()]
    append_shipment(session=session, shipment_in=make_shipment(donor="china"), by="ana", via="cli")
    append_shipment(
        session=session,
        shipment_in=make_shipment(donor="Japan", event_date="2019-05-20"),
        by="ana",
        via="cli",
    )
    moments.append(a_moment_ago())
    correct_shipment(
        session=session,
        shipment_id=2,
        correction_in=ShipmentCorrection(event_date="2019-05-14", reason="a later manifest"),
        by="ana",
        via="cli",
    )
    retract_shipment(session=session, shipment_id=3, reason="counted twice", by="bo", via="cli")
    moments.append(a_moment_ago())
    link(session, 1, add_received(session))
    moments.append(a_moment_ago())
    return session, moments


@pytest.mark.parametrize("view", VIEWS)
def test_as_of_daily_totals_from_the_arrays_equal_the_databases(
    history_with_changes: tuple[Session, list[datetime]], view: ShipmentFilter | None
) -> None:
    session, moments = history_with_changes
    for moment in moments:
        ours = view_daily_totals(session=session, as_of=moment, filters=view)
        assert ours == daily_totals(session=session, as_of=moment, filters=view)
    assert any(view_daily_totals(session=session, as_of=m, filters=view) for m in moments[1:])


@pytest.mark.parametrize("view", [None, ShipmentFilter()])
def test_the_whole_ledgers_daily_totals_now_come_from_the_kept_index(
    history_with_changes: tuple[Session, list[datetime]],
    view: ShipmentFilter | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session, _ = history_with_changes
    # Days before 1970 too (negative day numbers), and a day two shipments share.
    for day, tonnes in (
        ("1969-12-31", "1"),
        ("1900-01-01", "2"),
        ("2020-01-01", "3"),
        ("2020-01-01", "4.5"),
    ):
        shipment = make_shipment(event_date=day, tonnes=tonnes)
        append_shipment(session=session, shipment_in=shipment, by="ana", via="cli")
    theirs = daily_totals(session=session, as_of=None, filters=view)
    monkeypatch.setattr(revision_arrays, "daily_totals", None)  # the database is not asked
    ours = view_daily_totals(session=session, as_of=None, filters=view)
    assert ours == theirs
    assert [d.event_date for d in ours][:2] == [date(1900, 1, 1), date(1969, 12, 31)]
    assert any(d.records > d.shipments for d in ours)  # the consignment's other record
    assert max(d.shipments for d in ours) >= 2


def test_a_filtered_view_now_is_asked_of_the_database(
    history_with_changes: tuple[Session, list[datetime]], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _ = history_with_changes
    view = ShipmentFilter(donors=("china",))  # spelt as one shipment has it: matched exactly
    theirs = daily_totals(session=session, as_of=None, filters=view)
    monkeypatch.setattr(revision_arrays, "current_history", None)  # not asked
    assert view_daily_totals(session=session, as_of=None, filters=view) == theirs
    assert sum(d.shipments for d in theirs) == 1


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize(("limit", "offset"), [(100, 0), (2, 0), (2, 3), (3, 6), (5, 100)])
def test_as_of_pages_from_the_arrays_equal_the_databases(
    history_with_changes: tuple[Session, list[datetime]],
    view: ShipmentFilter | None,
    limit: int,
    offset: int,
) -> None:
    session, moments = history_with_changes
    for moment in moments:
        ours = view_page(session=session, as_of=moment, filters=view, limit=limit, offset=offset)
        theirs = list(
            iter_current_shipments(
                session=session, as_of=moment, filters=view, limit=limit, offset=offset
            )
        )
        assert ours == theirs


def test_a_view_that_counts_sources_is_asked_of_the_database(
    history_with_changes: tuple[Session, list[datetime]], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, moments = history_with_changes
    view = resolve(session=session, filters=ShipmentFilter(sources_at_least=2), as_of=moments[-1])
    monkeypatch.setattr(revision_arrays, "current_history", None)  # not asked
    assert view_daily_totals(session=session, as_of=moments[-1], filters=view) == daily_totals(
        session=session, as_of=moments[-1], filters=view
    )
