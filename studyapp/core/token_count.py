"""Token counts as people write them: ``8192``, ``32k``, ``128K``, ``1M``, ``1.5k``.

Context windows are powers of two in practice, and "32k context" means 32,768
tokens, so ``k`` is 1024 and ``M`` is 1024²; one parser for the CLI's ``--context``
and the calculator's Context field, so ``32k`` means the same in both (the field
used to drop the ``k`` and size for 32 tokens).
"""

from __future__ import annotations

import re

__all__ = ["parse_token_count"]

_COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")
_SCALE = {"": 1, "k": 1024, "m": 1024 * 1024}


def parse_token_count(text: str) -> int:
    """``"32k"`` → 32768; raises ``ValueError`` naming the accepted forms."""
    match = _COUNT.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a token count (e.g. 8192, 32k, 128K, 1M)")
    number, suffix = match.groups()
    if "." in number and not suffix:
        raise ValueError(f"{text!r}: a token count is a whole number")
    value = float(number) * _SCALE[suffix.lower()]
    if value != int(value):
        raise ValueError(f"{text!r} is not a whole number of tokens")
    return int(value)
