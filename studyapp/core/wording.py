"""English counts that read right: ``1 card``, ``2 cards``, ``0 notes``.

One helper for both front ends, so "1 notes" and "1 cards (1 answers)" cannot come
back one f-string at a time.
"""

from __future__ import annotations

__all__ = ["plural"]

_IRREGULAR = {"entry": "entries", "was": "were", "is": "are"}


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``count`` followed by ``noun`` in the number it needs (the last word inflects)."""
    if count == 1:
        return f"{count} {noun}"
    if plural_form is None:
        head, _, last = noun.rpartition(" ")
        last = _IRREGULAR.get(last, last + ("es" if last.endswith(("s", "x", "ch")) else "s"))
        plural_form = f"{head} {last}" if head else last
    return f"{count} {plural_form}"
