"""The only code that knows a tonne is 1,000 kilograms.

The ledger keeps every mass as whole kilograms (an integer, exact on every backend). Tonnes are a
view of that: read from what people type, written for people and for CSV files, and computed by
the database when an export formats a million rows. The other mass units that imported files
use (pounds, short and long tons) are converted here too, so no other module multiplies or
divides by a thousand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    localcontext,
)
from functools import cache
from typing import Any

from shipments.rules import MAX_MASS_KG, parse_number

KG_PER_TONNE = 1000
MAX_TONNES = Decimal(MAX_MASS_KG // KG_PER_TONNE)

_TONNE = Decimal(KG_PER_TONNE)
_POUND = Decimal("0.45359237")
_SHORT_TON = Decimal("907.18474")
_LONG_TON = Decimal("1016.0469088")

# Kilograms per unit, by the unit's name in lower case. "ton" alone is read as the metric tonne,
# and an import says so (AMBIGUOUS_TON).
MASS_UNITS: dict[str, Decimal] = {
    **dict.fromkeys(
        (
            "t",
            "tonne",
            "tonnes",
            "mt",
            "metric ton",
            "metric tons",
            "metric tonne",
            "metric tonnes",
        ),
        _TONNE,
    ),
    **dict.fromkeys(("ton", "tons"), _TONNE),
    **dict.fromkeys(("kg", "kgs", "kilogram", "kilograms"), Decimal(1)),
    **dict.fromkeys(("lb", "lbs", "pound", "pounds"), _POUND),
    **dict.fromkeys(("short ton", "short tons"), _SHORT_TON),
    **dict.fromkeys(("long ton", "long tons"), _LONG_TON),
}
AMBIGUOUS_TON = ("ton", "tons")
# The units whose quantities are not a whole number of kilograms, by the name an import's note
# gives them: converted exactly, then rounded to the kilogram.
ROUNDED_UNITS: dict[Decimal, str] = {
    _POUND: "pounds",
    _SHORT_TON: "short tons",
    _LONG_TON: "long tons",
}
# A quantity of 10**18 kg or more is refused as too large before it is made an int: far above
# the ledger's limit, and small enough that its tonnes are still shown exactly.
_TOO_LARGE_DIGITS = 18
# Counts and volumes that files give where a mass belongs: refused, never guessed.
NOT_MASS = frozenset(
    {
        "pallet",
        "pallets",
        "carton",
        "cartons",
        "truck",
        "trucks",
        "piece",
        "pieces",
        "pcs",
        "box",
        "boxes",
        "unit",
        "units",
        "container",
        "containers",
        "kit",
        "kits",
        "bag",
        "bags",
        "parcel",
        "parcels",
        "l",
        "litre",
        "litres",
        "liter",
        "liters",
        "m3",
        "doses",
    }
)


def check_tonnes(tonnes: Decimal, given: Any) -> None:
    """Refuse a mass the ledger cannot hold, in the tonnes rule's words (``given`` as shown)."""
    if tonnes <= 0:
        raise ValueError(f"must be greater than 0 (got {given})")
    if tonnes > MAX_TONNES:
        raise ValueError(f"must be at most {MAX_TONNES:,} t per shipment (got {given})")


def mass_fits(mass_kg: int) -> bool:
    """Return True when the ledger can hold a shipment of ``mass_kg`` kilograms."""
    return 0 < mass_kg <= MAX_MASS_KG


def tonnes_to_kg(value: Any) -> int:
    """Convert a tonnage (str, int, float or Decimal) to whole kilograms, enforcing the rules."""
    number = parse_number(value, what="a number of tonnes")
    check_tonnes(number, value)
    try:
        with localcontext() as exact:
            exact.traps[Inexact] = True
            kg = number * KG_PER_TONNE
    except Inexact:
        raise ValueError(f"must have at most 3 decimals in tonnes (got {value})") from None
    if kg != kg.to_integral_value():
        raise ValueError(f"must have at most 3 decimals in tonnes (got {value})")
    return int(kg)


@cache  # a file names few units, on every line
def unit_name(unit: str) -> str:
    """Return a unit as MASS_UNITS names it: lower case, spaces and underscores as one space."""
    return re.sub(r"[\s_]+", " ", unit.strip().lower()).rstrip(".")


def rounded_unit(unit: str | None) -> str | None:
    """Return the name of a unit that converts to kilograms only with rounding, else None."""
    factor = MASS_UNITS.get(unit_name(unit or ""))
    return None if factor is None else ROUNDED_UNITS.get(factor)


def quantity_to_kg(
    quantity: str | None, unit: str | None, *, read: Callable[..., Decimal] = parse_number
) -> int:
    """Convert a quantity in a mass unit to whole kilograms: exactly, or refuse it.

    A metric quantity is kept only when it is whole kilograms (tonnes keep the 3-decimal rule
    of every input); pounds, short and long tons are never whole kilograms, so they are
    converted exactly, then rounded to the kilogram (half to even). ``read`` reads the number
    as the file writes it (``parse_number``'s signature); refusals show ``quantity`` as given.
    """
    if quantity is None:
        raise ValueError("is required (a weight with its unit)")
    if not unit or not unit.strip():
        raise ValueError("has no unit: add a unit column or put the unit in the header")
    name = unit_name(unit)
    if name in NOT_MASS:
        raise ValueError(f"is counted in {unit!r}, which is not a mass: give the weight instead")
    if name not in MASS_UNITS:
        raise ValueError(f"has an unknown unit {unit!r} (use t, kg, lb, short ton or long ton)")
    factor = MASS_UNITS[name]
    number = read(quantity, what="a number of tonnes" if factor == _TONNE else "a quantity")
    if number <= 0:
        raise ValueError(f"must be greater than 0 (got {quantity})")
    kg = _exact_product(number, factor)
    if kg.adjusted() >= _TOO_LARGE_DIGITS:
        raise ValueError(f"is too large (got {quantity})")
    whole = kg.to_integral_value(rounding=ROUND_HALF_EVEN)
    if factor in ROUNDED_UNITS or whole == kg:
        return int(whole)
    if factor == _TONNE:
        raise ValueError(f"must have at most 3 decimals in tonnes (got {quantity})")
    raise ValueError(f"must be whole kilograms (the ledger keeps whole kilograms; got {quantity})")


# Room for the product of any quantity of up to 50 digits and any factor above, with rounding
# trapped: an import multiplies on every line, and a context made for each product (as below)
# was a tenth of an import's time on PostgreSQL (py-spy). A product of more digits is made below.
_WIDE = Context(
    prec=64,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact, Rounded],
)


def _exact_product(number: Decimal, factor: Decimal) -> Decimal:
    """Multiply two decimals exactly: in a context with room for every digit, where rounding
    would raise (the default context keeps 28 digits, and 1.00000000000000000000000000001 t
    would come out as 1,000 kg)."""
    try:
        return _WIDE.multiply(number, factor)  # exact, or it raises: the same digits as below
    except (Inexact, Rounded):  # more digits than _WIDE holds
        pass
    with localcontext() as exact:
        exact.prec = len(number.as_tuple().digits) + len(factor.as_tuple().digits)
        exact.Emax, exact.Emin = MAX_EMAX, MIN_EMIN
        exact.traps[Inexact] = exact.traps[Rounded] = True
        return number * factor


def kg_to_tonnes(mass_kg: int) -> Decimal:
    """Return kilograms as tonnes, exact, with three decimals (65000 -> Decimal('65.000'))."""
    return Decimal(mass_kg).scaleb(-3)


def format_tonnes(mass_kg: int) -> str:
    """Format kilograms as tonnes with exactly three decimals, e.g. 65000 -> '65.000'."""
    return f"{kg_to_tonnes(mass_kg):.3f}"


def tonnes_float(mass_kg: int) -> float:
    """Return kilograms as tonnes in a float, for charts (the nearest float to the exact value)."""
    return mass_kg / KG_PER_TONNE


def tonnes_sql(mass_kg: Any, dialect: str) -> tuple[str, list[Any]]:
    """Return a format cell and its arguments that write ``mass_kg`` as tonnes with 3 decimals.

    SQLite's printf writes the whole tonnes and the kilograms apart (integers: exact, and faster
    than a float); PostgreSQL's format() writes a numeric rounded to three places.
    """
    if dialect == "sqlite":
        return "%d.%03d", [mass_kg // KG_PER_TONNE, mass_kg % KG_PER_TONNE]
    # Imported here, not above: the command line's parser reads MASS_UNITS (through the import
    # columns), and its --help should not load SQLAlchemy.
    from sqlalchemy import Numeric, cast, func

    return "%s", [func.round(cast(mass_kg, Numeric) / KG_PER_TONNE, 3)]
