"""Units: one place that says what GB means, how figures are printed and how answers are read.

Every number the app teaches goes through here so that "GB" is always 1e9 bytes and
"GiB" always 2^30 bytes (Hugging Face lists GB, llama.cpp prints GiB; mixing them is a
7% error that would make a correct answer look wrong).
"""

from __future__ import annotations

import math
import re
from typing import Literal

__all__ = [
    "GB",
    "GIB",
    "MB",
    "UnitKind",
    "fmt_bytes",
    "fmt_num",
    "fmt_rate",
    "parse_quantity",
]

KB = 1e3
MB = 1e6
GB = 1e9
TB = 1e12
KIB = 2.0**10
MIB = 2.0**20
GIB = 2.0**30
TIB = 2.0**40

UnitKind = Literal["bytes", "tokens_per_s", "usd", "count", "joules", "seconds"]

#: Byte suffixes, lower-cased.  A bare "g"/"m" is read as decimal: people type "16 G" for 16 GB.
_BYTE_UNITS: dict[str, float] = {
    "b": 1.0,
    "byte": 1.0,
    "bytes": 1.0,
    "字节": 1.0,
    "k": KB,
    "kb": KB,
    "m": MB,
    "mb": MB,
    "g": GB,
    "gb": GB,
    "t": TB,
    "tb": TB,
    "kib": KIB,
    "mib": MIB,
    "gib": GIB,
    "tib": TIB,
}
_RATE_UNITS = ("tokens/s", "token/s", "tok/s", "tokens/sec", "t/s", "/s", "tps", "tokens", "tok")
_USD_UNITS = ("usd", "$", "美元", "dollars", "dollar")
_COUNT_UNITS = ("gpus", "gpu", "张", "卡", "块", "个", "cards", "card", "x", "×")
_JOULE_UNITS = {"j": 1.0, "mj": 1e-3, "kj": 1e3, "j/token": 1.0, "j/tok": 1.0}
_SECOND_UNITS = {"s": 1.0, "sec": 1.0, "秒": 1.0, "ms": 1e-3, "毫秒": 1e-3, "us": 1e-6, "min": 60.0}
_DEFAULT_UNITS: dict[str, dict[str, float]] = {
    "bytes": _BYTE_UNITS,
    "joules": _JOULE_UNITS,
    "seconds": _SECOND_UNITS,
}

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_SI_PREFIX = {"k": 1e3, "m": 1e6, "b": 1e9}  # 1.2k tok/s, 1.3B (params)


def parse_quantity(text: str, unit_kind: UnitKind, default_unit: str | None = None) -> float:
    """Read a typed answer as a number in the base unit of ``unit_kind``.

    Base units: bytes, tokens/s, USD, a plain count, joules, seconds.  A bare number is
    in ``default_unit`` (the unit the question asked in), except for bytes where a bare
    number of a million or more is taken as a byte count (``1.4e11``): nobody answers
    "how many GB" with a million.  Raises ``ValueError`` when no number can be read.
    """
    cleaned = text.strip().replace(",", "").replace("，", "").replace("＄", "$")
    cleaned = cleaned.replace("～", "").replace("~", "").replace("≈", "").strip()
    match = _NUMBER.search(cleaned)
    if match is None:
        raise ValueError(f"no number in {text!r}")
    value = float(match.group())
    before = cleaned[: match.start()].strip().lower()
    rest = cleaned[match.end() :].strip().lower().replace(" ", "")
    if unit_kind == "usd":
        return _scale_usd(value, before, rest)
    if unit_kind == "tokens_per_s":
        return _scale_rate(value, rest)
    if unit_kind == "count":
        if rest and not rest.startswith(_COUNT_UNITS):
            raise ValueError(f"expected a count, got {text!r}")
        return value
    table = _DEFAULT_UNITS[unit_kind]
    unit = _leading_unit(rest, table)
    if unit is not None:
        return value * table[unit]
    if rest:
        raise ValueError(f"unknown unit in {text!r}")
    if unit_kind == "bytes" and value >= 1e6:
        return value
    if default_unit is not None:
        return value * table[default_unit.lower()]
    return value


def _leading_unit(rest: str, table: dict[str, float]) -> str | None:
    """The longest unit name ``rest`` starts with (so "gib" wins over "g")."""
    for unit in sorted(table, key=len, reverse=True):
        if rest.startswith(unit):
            tail = rest[len(unit) :]
            if not tail or not tail[0].isalpha():
                return unit
    return None


def _scale_usd(value: float, before: str, rest: str) -> float:
    if rest.startswith(("¢", "cent", "美分")):
        return value / 100.0
    if rest and not rest.startswith(_USD_UNITS) and not rest.startswith("/"):
        raise ValueError(f"expected dollars, got {rest!r}")
    del before  # "$" before the number is accepted and carries no scale
    return value


def _scale_rate(value: float, rest: str) -> float:
    if rest[:1] in _SI_PREFIX and (
        len(rest) == 1 or not rest[1].isalpha() or rest[1:].startswith("tok")
    ):
        value *= _SI_PREFIX[rest[0]]
        rest = rest[1:]
    if rest and not rest.startswith(_RATE_UNITS):
        raise ValueError(f"expected tokens/s, got {rest!r}")
    return value


def fmt_num(value: float, digits: int = 3) -> str:
    """A figure with ``digits`` significant digits and thousands separators, no exponent below 1e15."""
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - magnitude, 0)
    return f"{value:,.{decimals}f}"


def fmt_bytes(value: float, digits: int = 3) -> str:
    """Bytes as GB (or MB/TB) with the GiB figure beside it, so both conventions are visible."""
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 1e12:
        return f"{fmt_num(value / TB, digits)} TB"
    if abs(value) >= 1e9:
        return f"{fmt_num(value / GB, digits)} GB ({fmt_num(value / GIB, digits)} GiB)"
    if abs(value) >= 1e6:
        return f"{fmt_num(value / MB, digits)} MB"
    return f"{fmt_num(value, digits)} B"


def fmt_rate(value: float, digits: int = 3) -> str:
    return f"{fmt_num(value, digits)} tokens/s"
