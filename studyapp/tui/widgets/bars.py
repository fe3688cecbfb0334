"""Small text charts drawn with block characters: horizontal bars and a column chart.

Both widgets take plain data (labels are always treated as literal text, never
markup) and colour themselves from the app theme (``$primary``, ``$accent``...), so
they follow ctrl+t / the theme command without any extra code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["Bar", "ColumnChart", "HBars", "Tone"]

Tone = Literal["primary", "secondary", "accent", "success", "warning", "error"]

#: Eighth blocks, for bar ends finer than one cell.
_H_EIGHTHS = " ▏▎▍▌▋▊▉█"
_V_EIGHTHS = " ▁▂▃▄▅▆▇█"
_TRACK = "·"


@dataclass(frozen=True)
class Bar:
    """One row of :class:`HBars`: ``value`` against the chart's scale, ``caption`` printed after it."""

    label: str
    value: float
    caption: str = ""
    tone: Tone = "primary"


def _fill(width: int, fraction: float) -> tuple[str, int]:
    """A bar of ``fraction`` (0..1) of ``width`` cells: the bar text and its cell count."""
    fraction = min(max(fraction, 0.0), 1.0) if math.isfinite(fraction) else 0.0
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_H_EIGHTHS[part] if part else "")
    return text, len(text)


def _pad(text: str, width: int) -> str:
    """Pad or cut ``text`` to ``width`` terminal cells (CJK counts double)."""
    out = ""
    for ch in text:
        if cell_len(out + ch) > width:
            return out[:-1] + "…" if width > 1 and out else out
        out += ch
    return out + " " * (width - cell_len(out))


class HBars(Widget):
    """Labelled horizontal bars against a common scale, with an optional limit marker.

    ``limit`` draws a ``│`` at that value on every track (usable memory, a target...);
    a bar longer than the limit is drawn up to it in its tone and beyond it in ``$error``.
    """

    DEFAULT_CSS = """
    HBars {
        height: auto;
        min-height: 1;
        width: 1fr;
    }
    """

    bars: reactive[tuple[Bar, ...]] = reactive((), layout=True)
    scale: reactive[float | None] = reactive(None)
    limit: reactive[float | None] = reactive(None)

    def __init__(
        self,
        bars: Sequence[Bar] = (),
        *,
        scale: float | None = None,
        limit: float | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.set_reactive(HBars.bars, tuple(bars))
        self.set_reactive(HBars.scale, scale)
        self.set_reactive(HBars.limit, limit)

    def update(
        self, bars: Sequence[Bar], *, scale: float | None = None, limit: float | None = None
    ) -> None:
        """Replace all bars at once (one refresh)."""
        self.set_reactive(HBars.scale, scale)
        self.set_reactive(HBars.limit, limit)
        self.bars = tuple(bars)
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return max(1, len(self.bars))

    def render(self) -> Content:
        bars = self.bars
        if not bars:
            return Content.styled("(no data)", "$text-muted")
        width = self.content_region.width or self.size.width or 40
        label_w = min(max(cell_len(b.label) for b in bars), max(6, width // 4))
        caption_w = max(cell_len(b.caption) for b in bars)
        track_w = max(4, width - label_w - caption_w - 3)
        finite = [b.value for b in bars if math.isfinite(b.value)]
        top = self.scale or max([*finite, self.limit or 0.0, 1e-12])
        limit_cell = None
        if self.limit is not None and top > 0:
            limit_cell = min(track_w - 1, round(self.limit / top * track_w))
        lines: list[Content] = []
        for bar in bars:
            text, used = _fill(track_w, bar.value / top if top else 0.0)
            parts: list[tuple[str, str] | str] = [(_pad(bar.label, label_w) + " ", "$text-muted")]
            if limit_cell is not None and used > limit_cell:
                parts.append((text[:limit_cell], f"${bar.tone}"))
                parts.append((text[limit_cell:], "$error"))
            else:
                parts.append((text, f"${bar.tone}"))
            rest = track_w - used
            if rest > 0:
                track = list(_TRACK * rest)
                if limit_cell is not None and limit_cell >= used:
                    track[limit_cell - used] = "│"
                parts.append(("".join(track), "$foreground 25%"))
            parts.append(" " + bar.caption.rjust(caption_w) + " ")
            lines.append(Content.assemble(*parts))
        return Content("\n").join(lines)


class ColumnChart(Widget):
    """A column chart of a series (reviews per day, a forecast) drawn ``height`` rows tall.

    Shows the last values that fit the width (one cell per value), the maximum on the
    left axis and the first/last ``labels`` under the columns.
    """

    DEFAULT_CSS = """
    ColumnChart {
        height: auto;
        width: 1fr;
    }
    """

    values: reactive[tuple[float, ...]] = reactive(())
    labels: reactive[tuple[str, ...]] = reactive(())

    def __init__(
        self,
        values: Sequence[float] = (),
        labels: Sequence[str] = (),
        *,
        rows: int = 6,
        tone: Tone = "accent",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.rows = rows
        self.tone = tone
        self.set_reactive(ColumnChart.values, tuple(values))
        self.set_reactive(ColumnChart.labels, tuple(labels))

    def update(self, values: Sequence[float], labels: Sequence[str]) -> None:
        self.set_reactive(ColumnChart.labels, tuple(labels))
        self.values = tuple(values)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return self.rows + (2 if self.labels else 1)

    def render(self) -> Content:
        width = self.content_region.width or self.size.width or 40
        peak = max(self.values, default=0.0)
        axis = f"{peak:g}" if peak else "0"
        axis_w = len(axis) + 1
        fit = max(1, width - axis_w - 1)
        values = self.values[-fit:]
        labels = self.labels[-fit:] if self.labels else ()
        lines: list[Content] = []
        for r in range(self.rows, 0, -1):
            cells = []
            for v in values:
                level = (v / peak * self.rows) if peak else 0.0
                eighths = round((level - (r - 1)) * 8)
                cells.append(_V_EIGHTHS[min(max(eighths, 0), 8)])
            prefix = axis.rjust(axis_w - 1) if r == self.rows else " " * (axis_w - 1)
            lines.append(
                Content.assemble((prefix + "┤", "$text-muted"), ("".join(cells), f"${self.tone}"))
            )
        lines.append(Content.styled(" " * (axis_w - 1) + "└" + "─" * len(values), "$text-muted"))
        if labels:
            first, last = labels[0], labels[-1]
            gap = len(values) - cell_len(first) - cell_len(last)
            under = first + " " * gap + last if gap >= 1 else first
            lines.append(Content.styled(" " * axis_w + under, "$text-muted"))
        return Content("\n").join(lines)
