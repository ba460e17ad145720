"""Exports that prove themselves: the shipments CSV with a Frictionless Data Package descriptor.

``write_package`` writes the CSV (exactly what ``export`` writes) and ``datapackage.json`` beside
it: the table schema (each column's type, description and HXL hashtag), the view it was cut with
(filters, as-of), its row count, total kilograms, byte count and SHA-256, the ledger's latest
write, the software's version and a note on the sources' terms. ``verify_package`` reads the
descriptor and the file again and says what no longer matches. ``describe`` makes the descriptor
for a CSV served elsewhere (a data URL), from the file's bytes as they stream past.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import Session

from shipments import __version__
from shipments.audit import latest_write
from shipments.db import head_revision
from shipments.errors import InvalidInput
from shipments.exchange.csvfiles import download_name
from shipments.exchange.export import SHIPMENTS, write_shipments
from shipments.ledger import ShipmentFilter
from shipments.rules import utcnow
from shipments.units import tonnes_to_kg

DESCRIPTOR = "datapackage.json"
SOURCES_NOTE = (
    "The figures are facts recorded from the sources each row names (sources, source_urls); the"
    " sources' own texts keep their publishers' terms. Check a source's terms before"
    " republishing its words."
)
CHUNK = 1 << 16
COUNTED_ONCE_NOTE = (
    "rows and total_kg add up every row. A cargo recorded when sent and again when received,"
    " the two records linked (same_consignment_as), is one shipment: shipments and"
    " total_kg_counted_once count it once, by its sent record, as the ledger's totals do."
)


@dataclass(frozen=True)
class FileFacts:
    """What a CSV file holds, counted from its bytes: rows, total kilograms, size, SHA-256."""

    rows: int
    total_kg: int
    bytes: int
    sha256: str
    # Each consignment linked from a sent and a received record once, by its sent record, as
    # the ledger's totals count it: the received records naming their other record left out.
    shipments: int = 0
    counted_kg: int = 0


def write_package(
    *,
    session: Session,
    folder: Path,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    hxl: bool = False,
) -> Path:
    """Write the shipments CSV and its ``datapackage.json`` into ``folder``; return the CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    name = download_name("shipments", filters=filters, as_of=as_of, on=utcnow().date(), hxl=hxl)
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_shipments(session=session, file=handle, as_of=as_of, filters=filters, hxl=hxl)
    with path.open("rb") as handle:
        facts = count_file(iter(lambda: handle.read(CHUNK), b""), hxl=hxl)
    descriptor = describe(
        session=session, path=name, facts=facts, as_of=as_of, filters=filters, hxl=hxl
    )
    (folder / DESCRIPTOR).write_text(
        json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path


def describe_view(
    *,
    session: Session,
    file: TextIO,
    csv_url: str,
    as_of: datetime | None = None,
    filters: ShipmentFilter | None = None,
    hxl: bool = False,
) -> None:
    """Write the descriptor of the shipments CSV served at ``csv_url`` for this view.

    The CSV is written once, to a temporary file, to count and hash what that URL serves.
    """
    with tempfile.TemporaryFile() as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        write_shipments(session=session, file=text, as_of=as_of, filters=filters, hxl=hxl)
        text.flush()
        spool.seek(0)
        facts = count_file(iter(lambda: spool.read(CHUNK), b""), hxl=hxl)
        text.detach()
    descriptor = describe(
        session=session, path=csv_url, facts=facts, as_of=as_of, filters=filters, hxl=hxl
    )
    json.dump(descriptor, file, indent=2, ensure_ascii=False)
    file.write("\n")


def describe(
    *,
    session: Session,
    path: str,
    facts: FileFacts,
    as_of: datetime | None,
    filters: ShipmentFilter | None,
    hxl: bool,
) -> dict[str, Any]:
    """Return the Data Package descriptor of a shipments CSV at ``path`` holding ``facts``."""
    version, written = latest_write(session=session)
    fields = [
        {
            "name": c.name,
            "type": c.type,
            **({"description": c.description} if c.description else {}),
            **({"hxl": c.hxl} if c.hxl else {}),
        }
        for c in SHIPMENTS.fields(hxl=hxl)
    ]
    resource: dict[str, Any] = {
        "name": "shipments",
        "path": path,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": facts.bytes,
        "hash": f"sha256:{facts.sha256}",
        "schema": {"fields": fields, "primaryKey": ["id"]},
    }
    if hxl:  # the hashtag row under the header is not data
        resource["dialect"] = {"commentRows": [2]}
    f = filters or ShipmentFilter()
    return {
        "profile": "tabular-data-package",
        "name": "aid-shipment-ledger",
        "title": "Aid shipments, as the ledger holds them",
        "created": utcnow().isoformat(timespec="seconds"),
        "resources": [resource],
        "ledger": {
            "view": {
                "from": f.date_from.isoformat() if f.date_from else None,
                "to": f.date_to.isoformat() if f.date_to else None,
                "donor": list(f.donors),
                "recipient": list(f.recipients),
                "cargo": list(f.cargos),
                "sources_at_least": f.sources_at_least,
                "as_of": as_of.isoformat() if as_of else None,
            },
            "rows": facts.rows,
            "total_kg": facts.total_kg,
            "shipments": facts.shipments,
            "total_kg_counted_once": facts.counted_kg,
            "counted_once_note": COUNTED_ONCE_NOTE,
            "latest_write": {
                "version": version,
                "at": written.isoformat() if written else None,
            },
            "software": {"name": "shipments", "version": __version__, "schema": head_revision()},
            "sources_note": SOURCES_NOTE,
        },
    }


def count_file(chunks: Iterable[bytes], *, hxl: bool) -> FileFacts:
    """Count a shipments CSV's rows and kilograms, and its bytes and SHA-256, as it streams."""
    digest = hashlib.sha256()
    size = 0

    utf8 = codecs.getincrementaldecoder("utf-8")()

    def text() -> Iterator[str]:
        nonlocal size
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            yield utf8.decode(chunk)
        yield utf8.decode(b"", final=True)

    rows = total = shipments = counted = 0
    reader = csv.DictReader(_lines(text()))
    for row in reader:
        if hxl and rows == 0 and row.get("id", "").startswith("#"):
            hxl = False  # the hashtag row, once
            continue
        rows += 1
        kilograms = _kilograms(row, rows)
        total += kilograms
        if not (row.get("same_consignment_as") and row.get("date_means") == "received"):
            shipments += 1
            counted += kilograms
    return FileFacts(
        rows=rows,
        total_kg=total,
        bytes=size,
        sha256=digest.hexdigest(),
        shipments=shipments,
        counted_kg=counted,
    )


def verify_package(folder: Path) -> list[str]:
    """Say what in ``folder`` no longer matches its ``datapackage.json`` (nothing: whole)."""
    descriptor_path = folder / DESCRIPTOR
    if not descriptor_path.is_file():
        raise InvalidInput.single("folder", f"no {DESCRIPTOR} in {folder}")
    try:
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
        [resource] = descriptor["resources"]
        ledger = descriptor["ledger"]
        path = folder / resource["path"]
        hxl = "commentRows" in resource.get("dialect", {})
        header = [f["name"] for f in resource["schema"]["fields"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput.single("folder", f"{DESCRIPTOR} is not this ledger's: {exc}") from None
    if Path(resource["path"]).name != resource["path"] or not path.is_file():
        return [f"{resource['path']}: the file the descriptor names is not in {folder}"]
    with path.open("rb") as handle:
        try:
            facts = count_file(iter(lambda: handle.read(CHUNK), b""), hxl=hxl)
        except ValueError as exc:
            return [f"{resource['path']}: {exc}"]
    with path.open(encoding="utf-8", newline="") as handle:
        found_header = next(csv.reader(handle), [])
    problems = []
    for what, stated, found in (
        ("SHA-256", resource["hash"], f"sha256:{facts.sha256}"),
        ("bytes", resource["bytes"], facts.bytes),
        ("rows", ledger["rows"], facts.rows),
        ("total kilograms", ledger["total_kg"], facts.total_kg),
        ("shipments counted once", ledger.get("shipments", facts.shipments), facts.shipments),
        (
            "kilograms counted once",
            ledger.get("total_kg_counted_once", facts.counted_kg),  # absent before 2026-12-01
            facts.counted_kg,
        ),
        ("columns", header, found_header),
    ):
        if stated != found:
            problems.append(
                f"{resource['path']}: {what} {found} where the descriptor says {stated}"
            )
    return problems


def _lines(chunks: Iterable[str]) -> Iterator[str]:
    """Yield the lines of streamed text, each with its ending (csv reads quoted newlines)."""
    pending = ""
    for chunk in chunks:
        pending += chunk
        *whole, pending = pending.split("\n")
        for line in whole:
            yield line + "\n"
    if pending:
        yield pending


def _kilograms(row: dict[str, str], number: int) -> int:
    """Return a row's mass in kilograms: its kilograms cell, else its tonnes (an HXL file)."""
    try:
        if row.get("kilograms"):
            return int(row["kilograms"])
        return tonnes_to_kg(row["tonnes"])
    except (KeyError, ValueError, InvalidInput, TypeError):
        raise ValueError(f"row {number} has no mass this ledger wrote") from None
