"""A shipment file's columns: which field each header names, by words, unit, hashtag or map.

The editor's map ("Header=field") comes first; then the header's words (``HEADER_ALIASES``,
compared without case, spaces or underscores); a mass unit in a header ("Weight (kg)", "tonnes")
makes that column the quantity, in that unit; and a row of HXL hashtags under the header maps
the columns it tags (``HXL_FIELDS``), whatever the header says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from shipments.errors import InvalidInput
from shipments.rules import MAX_IMPORT_COLUMNS
from shipments.units import MASS_UNITS

TARGETS = (
    "event_date",
    "date_means",
    "donor",
    "recipient",
    "cargo",
    "cargo_description",
    "quantity",
    "unit",
    "note",
    "source_url",
    "source_title",
    "publisher",
    "sources",
    "same_consignment_as",
    "ignore",
)

HEADER_ALIASES: dict[str, str] = {
    "event date": "event_date",
    "date": "event_date",
    "date means": "date_means",
    "donor": "donor",
    "recipient": "recipient",
    "cargo": "cargo",
    "cargo description": "cargo_description",
    "description": "cargo_description",
    "quantity": "quantity",
    "weight": "quantity",
    "mass": "quantity",
    "amount": "quantity",
    "unit": "unit",
    "units": "unit",
    "uom": "unit",
    "note": "note",
    "notes": "note",
    "source urls": "source_url",
    "source url": "source_url",
    "url": "source_url",
    "source title": "source_title",
    "title": "source_title",
    "publisher": "publisher",
    "sources": "sources",
    "same consignment as": "same_consignment_as",
    "consignment of": "same_consignment_as",
    # Spanish
    "fecha": "event_date",
    "donante": "donor",
    "donador": "donor",
    "receptor": "recipient",
    "destinatario": "recipient",
    "beneficiario": "recipient",
    "carga": "cargo",
    "descripción": "cargo_description",
    "descripcion": "cargo_description",
    "cantidad": "quantity",
    "peso": "quantity",
    "unidad": "unit",
    "nota": "note",
    "notas": "note",
    "fuente": "source_url",
    "enlace": "source_url",
    "título": "source_title",
    "titulo": "source_title",
    "editor": "publisher",
    "medio": "publisher",
    # French
    "donateur": "donor",
    "bailleur": "donor",
    "destinataire": "recipient",
    "bénéficiaire": "recipient",
    "beneficiaire": "recipient",
    "cargaison": "cargo",
    "quantité": "quantity",
    "quantite": "quantity",
    "poids": "quantity",
    "unité": "unit",
    "unite": "unit",
    "lien": "source_url",
    "titre": "source_title",
    "éditeur": "publisher",
}

# Date headers that say what the date means: the column is the event date, and rows that do not
# say otherwise (no date_means column, no --date-means) take this meaning.
DATE_MEANING_HEADERS: dict[str, str] = {
    **dict.fromkeys(
        (
            "received date",
            "date received",
            "receipt date",
            "arrival date",
            "date of arrival",
            "delivery date",
            "date delivered",
            "fecha de recepción",
            "fecha de recepcion",
            "fecha de llegada",
            "fecha de entrega",
            "date de réception",
            "date de reception",
            "date d'arrivée",
            "date de livraison",
        ),
        "received",
    ),
    **dict.fromkeys(
        (
            "sent date",
            "date sent",
            "shipped date",
            "ship date",
            "date shipped",
            "dispatch date",
            "date dispatched",
            "fecha de envío",
            "fecha de envio",
            "fecha de despacho",
            "date d'envoi",
            "date d'expédition",
            "date d'expedition",
        ),
        "sent",
    ),
}
HEADER_ALIASES.update(dict.fromkeys(DATE_MEANING_HEADERS, "event_date"))

# HXL hashtags and the field each feeds; a file's tag matches when it has the pattern's parts.
HXL_FIELDS: tuple[tuple[str, str], ...] = (
    ("#date+occurred", "event_date"),
    ("#meta+date_means", "date_means"),
    ("#org+funder", "donor"),
    ("#country+dest", "recipient"),
    ("#item+type", "cargo"),
    ("#item+name", "cargo_description"),
    ("#item+num", "quantity"),
    ("#item+unit", "unit"),
    ("#meta+url", "source_url"),
    ("#meta+source", "sources"),
    ("#description+notes", "note"),
    ("#meta+consignment", "same_consignment_as"),
)

_UNIT_IN_HEADER = re.compile(r"^(?P<name>.*?)\s*[\(\[](?P<unit>[^)\]]+)[\)\]]\s*$")


def normal(text: str) -> str:
    return re.sub(r"[\s_]+", " ", text.strip().lower())


def map_columns(
    header: list[str], mapping: Mapping[str, str], notes: list[str]
) -> tuple[dict[str, int], str | None]:
    """Return the column of each field the header names, and the unit a header gives, if any.

    ``mapping`` (the editor's "Header=field") comes first, then the header words, then a mass
    unit in the header ("Weight (kg)", "tonnes"); columns not read are noted.
    """
    header = [h.removeprefix("\ufeff").removeprefix("\u00ef\u00bb\u00bf") for h in header]
    if len(header) > MAX_IMPORT_COLUMNS:
        raise InvalidInput.single(
            "file",
            f"has {len(header):,} columns; a shipment file has at most {MAX_IMPORT_COLUMNS}:"
            " is it the right file, with the right delimiter?",
        )
    columns: dict[str, int] = {}
    header_unit: str | None = None
    ignored: list[str] = []
    given: dict[str, str] = {}
    for wanted, asked in mapping.items():
        if given.setdefault(normal(wanted), asked) != asked:
            raise InvalidInput.single(
                "mapping",
                f"reads the column {wanted!r} as two fields ({given[normal(wanted)]!r}"
                f" and {asked!r})",
            )
    chosen = [v for v in given.values() if v != "ignore"]
    if len(chosen) != len(set(chosen)):
        raise InvalidInput.single("mapping", "two columns are mapped to the same field")
    for index, raw in enumerate(header):
        name = normal(raw)
        if name not in given and HEADER_ALIASES.get(name) in chosen:
            ignored.append(raw)
            continue  # the editor mapped another column to this field
        target = given.get(name) or HEADER_ALIASES.get(name)
        unit = None
        match = _UNIT_IN_HEADER.match(name)
        if target is None and match and HEADER_ALIASES.get(normal(match["name"])) == "quantity":
            target = "quantity"
        elif target is None and name in MASS_UNITS:
            target, unit = "quantity", name
        if target == "quantity":
            if "quantity" in columns:
                # A second weight column (kilograms next to tonnes, as our export has) is not
                # read, and the note says so.
                ignored.append(raw)
                continue
            if match and unit is None:
                unit = normal(match["unit"])
            if unit is not None:
                header_unit = unit
        if target is None:
            ignored.append(raw)
            continue
        if target not in TARGETS:
            fields = ", ".join(TARGETS)
            raise InvalidInput.single(
                "mapping", f"{raw!r} maps to unknown field {target!r} (fields: {fields})"
            )
        if target != "ignore":
            if target in columns:
                first = columns[target]
                raise InvalidInput.single(
                    "mapping",
                    f"two columns are read as {target}: {header[first]!r} (column {first + 1})"
                    f" and {raw!r} (column {index + 1}); rename one, or read it as another field"
                    " or as ignore",
                )
            columns[target] = index
    if "tonnes" in (normal(h) for h in header) and header_unit is None:
        header_unit = "t"
    for wanted in mapping:
        if normal(wanted) not in (normal(h) for h in header):
            raise InvalidInput.single("mapping", f"the file has no column {wanted!r}")
    missing = [f for f in ("event_date", "quantity") if f not in columns]
    if missing and not any(h.startswith("#") for h in header):
        raise InvalidInput.single(
            "mapping",
            f"no column is read as {' or '.join(missing)}: map one of the file's columns to it"
            f" (--map on the command line, the column choices on the Import page; the file's"
            f" columns: {', '.join(header)[:300]})",
        )
    note = f"Columns not read: {', '.join(ignored)}." if ignored else None
    if note and note not in notes:
        notes.append(note)
    return columns, header_unit


def is_hxl_row(cells: list[str]) -> bool:
    """Return True when every filled cell of a row is an HXL hashtag."""
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def map_hxl(
    header: list[str],
    tags: list[str],
    mapping: Mapping[str, str],
    notes: list[str],
    header_unit: str | None,
) -> tuple[dict[str, int], str | None]:
    """Return the columns the hashtag row maps, completed by the header's words."""
    columns: dict[str, int] = {}
    for index, tag in enumerate(tags):
        parts = set(tag.strip().lower().replace(" ", "").split("+"))
        for pattern, target in HXL_FIELDS:
            if set(pattern.split("+")) <= parts and target not in columns:
                columns[target] = index
                break
    notes.append("HXL hashtags were found and used to map the columns.")
    notes[:] = [n for n in notes if not n.startswith("Columns not read")]
    mapped, _ = map_columns(header, mapping, notes)
    for target, index in mapped.items():
        columns.setdefault(target, index)
    return columns, header_unit


def implied_date_means(header: list[str], columns: Mapping[str, int]) -> str | None:
    """Return what the event date column's header says the date means ("Received Date": the
    cargo was received), or None when it does not say or a date_means column is read."""
    if "date_means" in columns or "event_date" not in columns:
        return None
    return DATE_MEANING_HEADERS.get(normal(header[columns["event_date"]].removeprefix("\ufeff")))


def read_as(header: list[str], columns: Mapping[str, int]) -> str | None:
    """Return a note saying which column became which field, where its header is not the field's
    own name (None when every column read is named as its field)."""
    renamed = [
        f"{header[index].removeprefix(chr(0xFEFF))!r} as {target}"
        for target, index in sorted(columns.items(), key=lambda item: item[1])
        if normal(header[index].removeprefix(chr(0xFEFF))) != normal(target)
    ]
    return f"Columns read: {', '.join(renamed)}." if renamed else None
