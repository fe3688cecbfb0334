"""Cell-width helpers for CJK-safe layout of plain text (never markup)."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

__all__ = ["fit", "pad_left", "pad_right"]


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells, with an ellipsis when it was cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + "…"


def pad_right(text: str, width: int) -> str:
    """``text`` fitted to exactly ``width`` cells, left-aligned."""
    return set_cell_size(fit(text, width), width)


def pad_left(text: str, width: int) -> str:
    """``text`` fitted to exactly ``width`` cells, right-aligned."""
    text = fit(text, width)
    return " " * (width - cell_len(text)) + text
