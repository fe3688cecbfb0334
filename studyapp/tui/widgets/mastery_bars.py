"""Horizontal bars of mastery (0-1) per tag or folder, labels cut by terminal cells."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from studyapp.tui.widgets.text_cells import pad_left, pad_right

__all__ = ["MasteryBars"]


class MasteryBars(Widget):
    """One line per ``(label, value)``: the label, a bar and the percentage."""

    DEFAULT_CSS = """
    MasteryBars { height: auto; width: 1fr; padding: 0 1; }
    MasteryBars > .mastery--bar { color: $success; }
    MasteryBars > .mastery--rest { color: $panel-lighten-2; }
    MasteryBars > .mastery--label { color: $text; }
    MasteryBars > .mastery--value { color: $text-muted; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "mastery--bar",
        "mastery--rest",
        "mastery--label",
        "mastery--value",
    }

    rows: reactive[tuple[tuple[str, float], ...] | None] = reactive(None, layout=True)

    def __init__(self, *, empty: str = "nothing yet", max_rows: int = 8, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.empty = empty
        self.max_rows = max_rows

    def set_rows(self, rows: list[tuple[str, float]]) -> None:
        self.rows = tuple(rows[: self.max_rows])

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return max(1, len(self.rows or ()))

    def render(self) -> Text:
        value_style = self.get_component_rich_style("mastery--value")
        if self.rows is None:
            return Text("loading…", style=value_style)
        if not self.rows:
            return Text(self.empty, style=value_style)
        width = self.content_size.width
        label_w = max(6, min(22, width // 2 - 4))
        bar_w = max(4, width - label_w - 6)
        out = Text(no_wrap=True, overflow="crop", end="")
        for i, (name, value) in enumerate(self.rows):
            value = max(0.0, min(1.0, value))
            filled = round(value * bar_w)
            out.append(
                pad_right(name, label_w) + " ", self.get_component_rich_style("mastery--label")
            )
            out.append("█" * filled, self.get_component_rich_style("mastery--bar"))
            out.append("░" * (bar_w - filled), self.get_component_rich_style("mastery--rest"))
            out.append(pad_left(f"{value:.0%}", 5), value_style)
            if i < len(self.rows) - 1:
                out.append("\n")
        return out
