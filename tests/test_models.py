"""Validation rules on the Create models: the one set every input path shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from factories import BOUNDARY_INPUTS, INVALID_INPUTS, resolve, shipment_data, with_source_url

from shipments.errors import InvalidInput
from shipments.models import ShipmentCorrection, ShipmentCreate, SourceCreate
from shipments.rules import parse
from shipments.units import format_tonnes, tonnes_to_kg


@pytest.mark.parametrize(("field", "overrides", "rule"), INVALID_INPUTS)
def test_invalid_input_names_field_and_rule(field: str, overrides: dict[str, Any], rule: str):
    with pytest.raises(InvalidInput) as refused:
        parse(ShipmentCreate, shipment_data(**with_source_url(overrides)))
    assert [(p.field, rule in p.rule) for p in refused.value.problems] == [(field, True)]


@pytest.mark.parametrize(("overrides", "field", "expected"), BOUNDARY_INPUTS)
def test_boundary_input_is_accepted(overrides: dict[str, Any], field: str, expected: Any):
    shipment = parse(ShipmentCreate, shipment_data(**with_source_url(overrides)))
    value = getattr(shipment, field)
    if isinstance(expected, str) and field == "event_date":
        expected = date.fromisoformat(resolve({"d": expected})["d"])
    assert value == expected


@pytest.mark.parametrize(
    ("tonnes", "kg"),
    [
        ("65", 65_000),
        ("0.001", 1),
        ("64.5", 64_500),
        (69, 69_000),
        (Decimal("71.250"), 71_250),
        (64.1, 64_100),
        ("100000", 100_000_000),
        ("1.2300", 1_230),
    ],
)
def test_tonnes_convert_exactly_to_kilograms(tonnes: Any, kg: int):
    assert tonnes_to_kg(tonnes) == kg


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), True, None, [1], Decimal("NaN"), "", "0x10"]
)
def test_tonnes_refuse_non_numbers(value: Any):
    with pytest.raises(ValueError, match=r"must be|is required"):
        tonnes_to_kg(value)


def test_no_source_is_refused():
    with pytest.raises(InvalidInput) as refused:
        parse(ShipmentCreate, shipment_data(sources=[]))
    assert str(refused.value) == "sources: at least one source is required"


def test_missing_field_is_named():
    data = shipment_data()
    del data["donor"]
    with pytest.raises(InvalidInput) as refused:
        parse(ShipmentCreate, data)
    assert str(refused.value) == "donor: is required"


def test_several_problems_are_all_reported():
    with pytest.raises(InvalidInput) as refused:
        parse(ShipmentCreate, shipment_data(tonnes="0", donor="", event_date="2019-13-01"))
    assert refused.value.fields() == {"tonnes", "donor", "event_date"}


def test_names_are_trimmed():
    shipment = parse(ShipmentCreate, shipment_data(donor="  China ", cargo=" medicine"))
    assert (shipment.donor, shipment.cargo) == ("China", "medicine")


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"kind": "blog"}, "kind", "must be one of press"),
        ({"title": ""}, "title", "must not be empty"),
        ({"publisher": "a\x00b"}, "publisher", "control characters"),
        ({"url": "javascript:alert(1)"}, "url", "http:// or https://"),
        ({"published_date": "2019-06-31"}, "published_date", "real calendar date"),
    ],
)
def test_source_rules(overrides: dict[str, Any], field: str, rule: str):
    data = {"url": "https://example.org/a", "title": "T", "publisher": "P", **overrides}
    with pytest.raises(InvalidInput) as refused:
        parse(SourceCreate, data)
    assert refused.value.problems[0].field == field
    assert rule in refused.value.problems[0].rule


def test_correction_needs_a_reason_and_a_change():
    with pytest.raises(InvalidInput) as no_reason:
        parse(ShipmentCorrection, {"reason": "  ", "tonnes": "46"})
    assert no_reason.value.fields() == {"reason"}
    with pytest.raises(InvalidInput) as no_change:
        parse(ShipmentCorrection, {"reason": "typo"})
    assert "must change at least one field" in str(no_change.value)


@pytest.mark.parametrize(("kg", "text"), [(269_000, "269.000"), (1, "0.001"), (64_500, "64.500")])
def test_format_tonnes(kg: int, text: str):
    assert format_tonnes(kg) == text


def test_a_mass_given_twice_is_refused():
    with pytest.raises(InvalidInput, match="give the mass once"):
        parse(ShipmentCreate, shipment_data(mass_kg=68_000))


def test_a_mass_in_kilograms_from_code_keeps_the_tonnes_rule():
    data = shipment_data()
    del data["tonnes"]
    assert parse(ShipmentCreate, {**data, "mass_kg": 68_000}).mass_kg == 68_000
    with pytest.raises(InvalidInput, match=r"at most 100,000 t per shipment \(got 100000001 kg\)"):
        parse(ShipmentCreate, {**data, "mass_kg": 100_000_001})
