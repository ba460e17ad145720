"""Masses are multiplied exactly whatever their digits: the quick context and the one made for
a product that needs more digits give the same number, and no quantity is rounded on the way."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from shipments.units import MASS_UNITS, _exact_product, quantity_to_kg


def exactly(number: Decimal, factor: Decimal) -> Decimal:
    """The product by integer arithmetic: the coefficients multiplied, the exponents added."""
    a, b = number.as_tuple(), factor.as_tuple()
    assert isinstance(a.exponent, int)
    assert isinstance(b.exponent, int)
    coefficient = int("".join(map(str, a.digits))) * int("".join(map(str, b.digits)))
    digits = tuple(int(d) for d in str(coefficient))
    return Decimal((a.sign ^ b.sign, digits, a.exponent + b.exponent))


@pytest.mark.parametrize("factor", sorted(set(MASS_UNITS.values())), ids=str)
def test_a_product_has_every_digit_of_both_numbers_short_or_long(factor: Decimal) -> None:
    generator = random.Random(str(factor))
    for length in [*range(1, 90), 200, 1000]:  # up to 64 digits the quick context, then the other
        digits = "".join(generator.choice("0123456789") for _ in range(length))
        for point in {0, length // 2, length}:
            number = Decimal(f"{digits[:point] or '0'}.{digits[point:] or '0'}")
            product = _exact_product(number, factor)
            assert product.as_tuple() == exactly(number, factor).as_tuple(), number


@pytest.mark.parametrize("zeros", [60, 70, 200])
def test_a_long_product_ending_in_zeros_keeps_every_digit(zeros: int) -> None:
    """Past 64 digits, dropping zeros changes no value, only the digits kept: it falls back too."""
    number = Decimal("7" + "0" * zeros)
    for factor in sorted(set(MASS_UNITS.values())):
        assert _exact_product(number, factor).as_tuple() == exactly(number, factor).as_tuple()


# Pounds and tons are rounded to the kilogram, and an import says so; tonnes and kilograms never.
@pytest.mark.parametrize(
    ("unit", "rule"),
    [("t", "must have at most 3 decimals"), ("kg", "must be whole kilograms")],
)
@pytest.mark.parametrize("zeros", [30, 62, 63, 64, 70, 200])
def test_a_quantity_one_digit_too_fine_is_refused_not_rounded(
    unit: str, rule: str, zeros: int
) -> None:
    with pytest.raises(ValueError, match=rule):
        quantity_to_kg(f"1.{'0' * zeros}1", unit)
