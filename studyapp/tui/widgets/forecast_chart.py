"""A vertical bar chart of the cards due on each of the next days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from studyapp.tui.widgets.text_cells import pad_left, pad_right

__all__ = ["ForecastChart"]

_EIGHTHS = " ▁▂▃▄▅▆▇█"
_WEEKDAYS = "一二三四五六日"
#: Terminal cells per day: a 3-cell bar and a 1-cell gap.
COLUMN = 4


class ForecastChart(Widget):
    """Bars for ``counts[i]`` cards due on ``start + i`` days; day labels under them.

    Every label is padded by terminal cells, so the Chinese weekday row stays
    aligned with the bars whatever the terminal's font.
    """

    DEFAULT_CSS = """
    ForecastChart { height: auto; width: auto; padding: 0 1; }
    ForecastChart > .forecast--bar { color: $primary; }
    ForecastChart > .forecast--today { color: $accent; text-style: bold; }
    ForecastChart > .forecast--count { color: $text-muted; }
    ForecastChart > .forecast--label { color: $text-muted; }
    ForecastChart > .forecast--empty { color: $panel-lighten-2; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "forecast--bar",
        "forecast--today",
        "forecast--count",
        "forecast--label",
        "forecast--empty",
    }

    counts: reactive[tuple[int, ...]] = reactive((), layout=True)
    start: reactive[date | None] = reactive(None)

    def __init__(self, *, bar_rows: int = 5, days: int = 14, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.bar_rows = bar_rows
        self.days = days

    def set_data(self, counts: list[int], start: date) -> None:
        self.start = start
        self.counts = tuple(counts[: self.days])

    def get_content_width(self, container: object, viewport: object) -> int:
        return self.days * COLUMN

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return self.bar_rows + 3

    def render(self) -> Text:
        if self.start is None:
            return Text("loading…", style=self.get_component_rich_style("forecast--label"))
        counts = list(self.counts) + [0] * (self.days - len(self.counts))
        bar = self.get_component_rich_style("forecast--bar")
        today = self.get_component_rich_style("forecast--today")
        muted = self.get_component_rich_style("forecast--count")
        label = self.get_component_rich_style("forecast--label")
        empty = self.get_component_rich_style("forecast--empty")
        top = max(counts) or 1
        eighths = [round(n / top * self.bar_rows * 8) if n else 0 for n in counts]
        out = Text(no_wrap=True, overflow="crop", end="")
        for n in counts:
            out.append(pad_left(str(n) if n else "·", COLUMN - 1) + " ", muted)
        out.append("\n")
        for row in range(self.bar_rows, 0, -1):
            for i, units in enumerate(eighths):
                style = today if i == 0 else bar
                fill = max(0, min(8, units - (row - 1) * 8))
                if row == 1 and units == 0:
                    out.append("▁▁▁ ", empty)
                else:
                    out.append(_EIGHTHS[fill] * 3 + " ", style)
            out.append("\n")
        days = [self.start + timedelta(days=i) for i in range(self.days)]
        for i, day in enumerate(days):
            out.append(pad_left(f"{day.day:02d}", COLUMN - 1) + " ", today if i == 0 else label)
        out.append("\n")
        for i, day in enumerate(days):
            text = "今" if i == 0 else _WEEKDAYS[day.weekday()]
            out.append(" " + pad_right(text, COLUMN - 1), today if i == 0 else label)
        return out
