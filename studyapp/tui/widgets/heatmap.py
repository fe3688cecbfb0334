"""A GitHub-style grid of reviews per day: one column per week, one row per weekday."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["ReviewHeatmap"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ROW_LABELS = ("Mo ", "   ", "We ", "   ", "Fr ", "   ", "Su ")
#: Cells per week column: a 2-cell square and a 1-cell gap.
COLUMN = 3
LABEL = 3


def shade(count: int, top: int) -> int:
    """Level 0-4 of a day with ``count`` reviews when the busiest day had ``top``."""
    if count <= 0:
        return 0
    if top <= 4:
        return min(4, count)
    return min(4, 1 + (count - 1) * 4 // top)


class ReviewHeatmap(Widget):
    """Reviews per study day for the last weeks, ending with the week of ``today``.

    As many weeks as fit the width are shown (at most ``max_weeks``), so the widget
    works at 80 columns and uses the room of a wide terminal.
    """

    DEFAULT_CSS = """
    ReviewHeatmap { height: 9; width: 1fr; padding: 0 1; }
    ReviewHeatmap > .heatmap--0 { color: $panel-lighten-1; }
    ReviewHeatmap > .heatmap--1 { color: $success 35%; }
    ReviewHeatmap > .heatmap--2 { color: $success 60%; }
    ReviewHeatmap > .heatmap--3 { color: $success 80%; }
    ReviewHeatmap > .heatmap--4 { color: $success; }
    ReviewHeatmap > .heatmap--label { color: $text-muted; }
    ReviewHeatmap > .heatmap--today { color: $accent; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "heatmap--0",
        "heatmap--1",
        "heatmap--2",
        "heatmap--3",
        "heatmap--4",
        "heatmap--label",
        "heatmap--today",
    }

    per_day: reactive[dict[str, int]] = reactive(dict)
    today: reactive[date | None] = reactive(None)

    def __init__(self, *, max_weeks: int = 18, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_weeks = max_weeks

    def set_data(self, per_day: dict[str, int], today: date) -> None:
        self.today = today
        self.per_day = dict(per_day)

    def weeks_shown(self) -> int:
        return max(4, min(self.max_weeks, (self.content_size.width - LABEL) // COLUMN))

    def render(self) -> Text:
        label = self.get_component_rich_style("heatmap--label")
        if self.today is None:
            return Text("loading…", style=label)
        levels = [self.get_component_rich_style(f"heatmap--{n}") for n in range(5)]
        weeks = self.weeks_shown()
        today = self.today
        first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
        top = max(self.per_day.values(), default=0)
        out = Text(no_wrap=True, overflow="crop", end="")
        header = [" "] * (LABEL + weeks * COLUMN)
        last_month, free_from = None, 0
        for w in range(weeks):
            monday = first + timedelta(weeks=w)
            if monday.month != last_month:
                name, pos = _MONTHS[monday.month - 1], LABEL + w * COLUMN
                if pos >= free_from and pos + len(name) <= len(header):
                    header[pos : pos + len(name)] = list(name)
                    free_from = pos + len(name) + 1
                last_month = monday.month
        out.append("".join(header).rstrip() + "\n", label)
        for weekday in range(7):
            out.append(_ROW_LABELS[weekday], label)
            for w in range(weeks):
                day = first + timedelta(weeks=w, days=weekday)
                if day > today:
                    out.append(" " * COLUMN)
                    continue
                count = self.per_day.get(day.isoformat(), 0)
                style = levels[shade(count, top)]
                out.append("██", style)
                out.append(
                    "◂" if day == today else " ", self.get_component_rich_style("heatmap--today")
                )
            out.append("\n")
        total = sum(
            self.per_day.get((first + timedelta(days=d)).isoformat(), 0) for d in range(weeks * 7)
        )
        out.append(f"{total} reviews in {weeks} weeks   less ", label)
        for style in levels:
            out.append("██", style)
            out.append(" ")
        out.append("more", label)
        return out
