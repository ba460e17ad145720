"""Data the tests share: valid and invalid input, editor accounts, and what tests compare."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Engine, inspect, text
from sqlmodel import Session

from shipments.auth import hash_password
from shipments.models import Editor, ShipmentCreate
from shipments.rules import parse, utcnow

SOUTH_FRONT = (
    "https://southfront.press/"
    "msm-claims-that-russian-personnel-leaving-venezuela-appeared-to-be-fake-news"
)


EDITORS = ("ana", "bo", "carla")
EDITOR_PASSWORD = "correct horse battery"
_EDITOR_HASH = hash_password(EDITOR_PASSWORD)  # argon2 is slow on purpose: hash once per run


def add_editors(engine: Engine, names: tuple[str, ...] = EDITORS) -> None:
    """Create active editor accounts (password EDITOR_PASSWORD) in a migrated database."""
    with Session(engine) as session:
        for name in names:
            session.add(
                Editor(
                    name=name,
                    password_hash=_EDITOR_HASH,
                    active=True,
                    created_by="tests",
                    created_at=utcnow(),
                )
            )
        session.commit()


def shipment_data(**overrides: Any) -> dict[str, Any]:
    """Return valid input for one shipment, with ``overrides`` applied."""
    data: dict[str, Any] = {
        "event_date": "2019-06-10",
        "date_means": "received",
        "donor": "China",
        "recipient": "Venezuela",
        "cargo": "medicine",
        "tonnes": "68",
        "sources": [
            {
                "url": "https://example.org/report",
                "title": "Almost 70 tonnes arrive",
                "publisher": "Example News",
            }
        ],
    }
    data.update(overrides)
    return data


def make_shipment(**overrides: Any) -> ShipmentCreate:
    """Return a validated ShipmentCreate, with ``overrides`` applied."""
    return parse(ShipmentCreate, shipment_data(**overrides))


def row_counts(engine: Engine) -> dict[str, int]:
    """Count the rows of every ledger table, to show that a refusal wrote nothing."""
    counts = {}
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            counts[table] = connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
    return counts


def projection_and_history(session: Session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Return current_shipment's rows and the same facts worked out from the history, sorted.

    current_shipment is derived state: after any writes the two lists must be equal. Each row:
    id, revision, date, donor, recipient, cargo, mass, the three keys, then the source ids.
    """
    from sqlmodel import select

    from shipments.ledger import current_shipments
    from shipments.models import CurrentShipment, ShipmentRevision

    projected = sorted(
        (
            *(c.shipment_id, revision.revision, c.event_date, c.donor, c.recipient, c.cargo),
            *(c.mass_kg, c.donor_key, c.recipient_key, c.cargo_key, c.source_ids),
        )
        for c in session.exec(select(CurrentShipment))
        for revision in [session.get(ShipmentRevision, c.revision_id)]
        if revision is not None
    )
    from_history = sorted(
        (
            *(s.id, s.revision, s.event_date, s.donor, s.recipient, s.cargo, s.mass_kg),
            *(s.donor.casefold(), s.recipient.casefold(), s.cargo.casefold()),
            " ".join(str(i) for i in sorted(source.id for source in s.sources)),
        )
        for s in current_shipments(session=session, as_of=utcnow())
    )
    return projected, from_history


def today() -> date:
    """Return today's date in UTC, as the ledger's 'not in the future' rule sees it."""
    return utcnow().date()


def tomorrow() -> str:
    """Return tomorrow's date in UTC as ISO text."""
    return date.fromordinal(today().toordinal() + 1).isoformat()


# (field, overrides, words of the rule): every rule an input path must refuse.
INVALID_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("tonnes", {"tonnes": "0"}, "must be greater than 0"),
    ("tonnes", {"tonnes": "-5"}, "must be greater than 0"),
    ("tonnes", {"tonnes": "100000.001"}, "at most 100,000 t"),
    ("tonnes", {"tonnes": "1.0005"}, "at most 3 decimals"),
    ("tonnes", {"tonnes": "nan"}, "finite number"),
    ("tonnes", {"tonnes": "inf"}, "finite number"),
    ("tonnes", {"tonnes": "-Infinity"}, "finite number"),
    ("tonnes", {"tonnes": "sixty"}, "must be a number of tonnes"),
    ("tonnes", {"tonnes": "1e3"}, "written like 64 or 64.5"),
    ("tonnes", {"tonnes": "1e-1000000000"}, "written like 64 or 64.5"),
    ("tonnes", {"tonnes": "1_000"}, "written like 64 or 64.5"),
    ("tonnes", {"tonnes": "٦٤"}, "written like 64 or 64.5"),
    ("tonnes", {"tonnes": "1.0000000000000000000000000001"}, "at most 3 decimals"),
    ("tonnes", {"tonnes": "99999.99999999999999999999999999999"}, "at most 3 decimals"),
    (
        "event_date",
        {"event_date": "\u0662\u0660\u0661\u0669-\u0660\u0665-\u0662\u0667"},
        "YYYY-MM-DD",
    ),
    ("event_date", {"event_date": "2019-02-30"}, "real calendar date"),
    ("event_date", {"event_date": "27/05/2019"}, "YYYY-MM-DD"),
    ("event_date", {"event_date": "TOMORROW"}, "must not be in the future"),
    ("event_date", {"event_date": "1899-12-31"}, "must not be before 1900-01-01"),
    ("date_means", {"date_means": "arrived"}, "'sent' or 'received'"),
    ("donor", {"donor": "   "}, "must not be empty"),
    ("recipient", {"recipient": ""}, "must not be empty"),
    ("cargo", {"cargo": " \t "}, "must not be empty"),
    ("donor", {"donor": "x" * 201}, "at most 200 characters"),
    ("recipient", {"recipient": "Vene\x1bzuela"}, "control characters"),
    ("cargo", {"cargo": "medi\x07cine"}, "control characters"),
    ("donor", {"donor": "China\u202e"}, "invisible formatting characters"),
    ("recipient", {"recipient": "Vene\u200bzuela"}, "invisible formatting characters"),
    ("cargo", {"cargo": "medicine\u2028line two"}, "must be one line"),
    ("donor", {"donor": "Chi\u2029na"}, "must be one line"),
    ("sources.0.url", {"source_url": "ftp://example.org/x"}, "http:// or https://"),
    ("sources.0.url", {"source_url": "  "}, "must not be empty"),
]

# (value, words of the rule): what every path that takes sources_at_least must refuse, by name.
BAD_SOURCES_AT_LEAST: list[tuple[str, str]] = [
    ("0", "must be a whole number from 1 to 100 (got 0)"),
    ("-1", "must be a whole number from 1 to 100 (got '-1')"),
    ("101", "must be a whole number from 1 to 100 (got 101)"),
    ("99999999999999999999", "must be a whole number from 1 to 100"),
    ("1.5", "must be a whole number from 1 to 100 (got '1.5')"),
    ("two", "must be a whole number from 1 to 100 (got 'two')"),
    ("٢", "must be a whole number from 1 to 100"),
]

# (overrides, field, value it must have) at the edge of every rule, which must be accepted.
BOUNDARY_INPUTS: list[tuple[dict[str, Any], str, Any]] = [
    ({"tonnes": "0.001"}, "mass_kg", 1),
    ({"tonnes": "100000"}, "mass_kg", 100_000_000),
    ({"tonnes": "99999.999"}, "mass_kg", 99_999_999),
    ({"tonnes": " 64.5 "}, "mass_kg", 64_500),
    ({"tonnes": "+64.500"}, "mass_kg", 64_500),
    ({"event_date": "TODAY"}, "event_date", "TODAY"),
    ({"event_date": "1900-01-01"}, "event_date", "1900-01-01"),
    ({"donor": "x" * 200}, "donor", "x" * 200),
    ({"donor": "  China  "}, "donor", "China"),
    ({"recipient": "Türkiye"}, "recipient", "Türkiye"),
]


def resolve(overrides: dict[str, Any]) -> dict[str, Any]:
    """Replace the TODAY / TOMORROW placeholders, which must be computed when the test runs."""
    words = {"TODAY": today().isoformat(), "TOMORROW": tomorrow()}
    return {k: words.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}


def with_source_url(overrides: dict[str, Any]) -> dict[str, Any]:
    """Turn a ``source_url`` override into the nested sources list the models take."""
    resolved = resolve(overrides)
    if "source_url" in resolved:
        url = resolved.pop("source_url")
        resolved["sources"] = [{"url": url, "title": "A report", "publisher": "A publisher"}]
    return resolved


@contextmanager
def history_unlocked(session: Session) -> Iterator[None]:
    """Let a test rewrite stored history on purpose, which the database's triggers refuse.

    SQLite: the triggers are dropped and made again afterwards, from their own SQL. PostgreSQL:
    the transaction runs as a replica, which fires no ordinary trigger (the tests connect as a
    superuser); the setting ends with the transaction, so rewrite before any commit.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        triggers = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        ).all()
        for name, _ in triggers:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield
        connection = session.connection()
        for _, sql in triggers:
            connection.exec_driver_sql(sql)
    else:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        yield
    session.commit()


# Names that would pass for another or fake a line of output (issue 12, item 6). One rule holds
# for every name: donor, recipient, cargo, publisher, title, claimant, editor. Each: (a name
# holding such a character, words of the rule it breaks).
SPOOFING_NAMES: list[tuple[str, str]] = [
    ("Example\u202e sweN", "must not contain invisible formatting characters"),  # RTL override
    ("Exam\u200bple News", "must not contain invisible formatting characters"),  # zero width
    ("Example\u2028News", "must be one line"),  # line separator
    ("Example\x1b[2J News", "must not contain control characters"),  # terminal escape
]
