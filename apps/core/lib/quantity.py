"""Kubernetes quantities in the one form the API server writes them back.

The API server parses a quantity ('0.5', '1536Mi', '1e3'), rounds it up to
whole nano-units, and stores and shows it in a canonical form: the largest
suffix that keeps the number whole, in the family (decimal SI, binary SI or
exponent) the quantity was written in. A spec written in another form reads
back different from what Gantry holds. This is apimachinery's
`Quantity.CanonicalizeBytes` (pkg/api/resource/quantity.go) for the
non-negative quantities Gantry accepts.
"""

import math
import re
from fractions import Fraction

_QUANTITY_RE = re.compile(
    r"^(?P<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$"
)
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {exponent: suffix for suffix, exponent in _DECIMAL.items()}
_BINARY_SUFFIX = {power: suffix for suffix, power in _BINARY.items()} | {0: ""}
# Exponents beyond these are far outside any resource amount, and costly to compute.
_EXPONENT_LIMIT = 30
NANO = Fraction(1, 10**9)


class QuantityError(ValueError):
    """The text is no quantity, or one too large or too small to keep."""


def exact_value(text: str) -> Fraction:
    """The exact amount `text` writes, before Kubernetes rounds it."""
    match = _QUANTITY_RE.match(text)
    if not match:
        raise QuantityError(f"'{text}' is not a Kubernetes quantity")
    number = Fraction(match.group("number"))
    suffix = match.group("suffix") or ""
    if suffix in _BINARY:
        return number * 1024 ** _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * Fraction(10) ** _DECIMAL[suffix]
    exponent = int(suffix[1:])
    if abs(exponent) > _EXPONENT_LIMIT:
        if exponent > 0 and number:
            raise QuantityError(f"'{text}' is too large for a Kubernetes quantity")
        return Fraction(0) if not number else NANO / 2  # any amount below one nano-unit
    return number * Fraction(10) ** exponent


def canonical(text: str) -> str:
    """How the Kubernetes API server writes `text` back, e.g. '0.5' -> '500m'."""
    value = exact_value(text)
    if value == 0:
        return "0"
    nanos = math.ceil(value / NANO)  # rounded up to whole nano-units
    suffix = _QUANTITY_RE.match(text).group("suffix") or ""
    if suffix in _BINARY and nanos >= 1024 * 10**9 and nanos % 10**9 == 0:
        return _binary(nanos // 10**9)
    return _decimal(nanos, exponent_form=suffix[:1] in ("e", "E"))


def _binary(amount: int) -> str:
    power = 0
    while amount % 1024 == 0 and power < max(_BINARY_SUFFIX):
        amount //= 1024
        power += 1
    return f"{amount}{_BINARY_SUFFIX[power]}"


def _decimal(nanos: int, *, exponent_form: bool) -> str:
    amount, exponent = nanos, -9
    while amount % 10 == 0:
        amount //= 10
        exponent += 1
    remainder = exponent % 3  # the exponent moves to a multiple of three
    amount, exponent = amount * 10**remainder, exponent - remainder
    if exponent_form:
        return f"{amount}e{exponent}" if exponent else str(amount)
    if exponent not in _DECIMAL_SUFFIX:
        raise QuantityError(f"'{amount}e{exponent}' is too large for a Kubernetes quantity")
    return f"{amount}{_DECIMAL_SUFFIX[exponent]}"
