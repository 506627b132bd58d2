"""The one rounding rule for every published figure.

All scoring math is exact (integers, `fractions.Fraction`, or `Decimal` values that are exact
by construction); a figure is rounded once, when it is published, to 2 decimal places with
ROUND_HALF_UP (ties away from zero, the rule people use by hand: 88.125 -> 88.13). Because
every module goes through `round_score`, the same inputs give the same figures in a chat
reply, a ranking and an export.

A composite that is built from other published figures (the annual score from published
quarterly scores) takes those rounded figures as its inputs, exactly as the organisation
department would recompute it by hand from the published table.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

PLACES = 2
_SCALE = 10**PLACES

Exact = int | Fraction | Decimal


def round_ratio(numerator: int, denominator: int) -> Decimal:
    """Round numerator/denominator to 2 places, half away from zero, with integer math only.

    This is the hot-path form: the quarterly scorer keeps numerator and denominator as plain
    ints so that 100,000 cadres cost no Fraction or Decimal arithmetic until this one call.
    """
    if denominator <= 0:
        if denominator == 0:
            raise ZeroDivisionError("round_ratio: denominator is 0")
        numerator, denominator = -numerator, -denominator
    # floor(x + 1/2) on the magnitude == ROUND_HALF_UP, then the sign goes back on.
    if numerator >= 0:
        hundredths = (2 * _SCALE * numerator + denominator) // (2 * denominator)
    else:
        hundredths = -((-2 * _SCALE * numerator + denominator) // (2 * denominator))
    shared = _SHARED.get(hundredths)
    return from_hundredths(hundredths) if shared is None else shared


# Published figures are a few thousand distinct values (0.00 .. 100.00 and small deductions);
# sharing one immutable Decimal per value saves building one per cadre and ~100 bytes each
# in a province's results. Bounded, so odd inputs cannot grow it without limit.
_SHARED: dict[int, Decimal] = {}
_SHARED_RANGE = range(-100 * _SCALE, 1000 * _SCALE + 1)


def from_hundredths(hundredths: int) -> Decimal:
    """The published Decimal of an integer number of hundredths: 8813 -> Decimal("88.13")."""
    shared = _SHARED.get(hundredths)
    if shared is None:
        shared = Decimal(hundredths).scaleb(-PLACES)
        if hundredths in _SHARED_RANGE:
            _SHARED[hundredths] = shared
    return shared


def whole_percent(part: int, whole: int) -> int:
    """part/whole as a whole percent, rounded half up like every figure (2/12 → 17, not the
    16 that integer division gives)."""
    if whole <= 0:
        raise ZeroDivisionError("whole_percent: whole must be positive")
    return (200 * part + whole) // (2 * whole)


def round_score(value: Exact) -> Decimal:
    """Round an exact value to the published form: Decimal, 2 places, ROUND_HALF_UP."""
    if isinstance(value, bool):
        raise TypeError("round_score: bool is not a score")
    if isinstance(value, int):
        return round_ratio(value, 1)
    numerator, denominator = value.as_integer_ratio()
    return round_ratio(numerator, denominator)


def exact(value: int | float | str | Decimal | Fraction) -> Fraction:
    """Read a setting or an imported figure as an exact fraction.

    Floats (from TOML) go through their shortest decimal repr, so 0.3 means 3/10 and not the
    binary approximation 0.29999999999999998889...; that keeps "30% of 10 cadres" equal to 3.
    """
    if isinstance(value, bool):
        raise TypeError("a number is required, not bool")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, str):
        return Fraction(Decimal(value.strip()))
    return Fraction(value)
