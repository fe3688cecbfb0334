"""The review session's one-line header: position, a progress bar and where the card is from."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from studyapp.tui.widgets.text_cells import fit

__all__ = ["ProgressHeader"]


class ProgressHeader(Widget):
    """``done / total`` with a bar, the card kind, its note, and a relearning badge."""

    DEFAULT_CSS = """
    ProgressHeader { height: 1; width: 1fr; padding: 0 1; background: $panel; }
    ProgressHeader > .progress--bar { color: $primary; }
    ProgressHeader > .progress--rest { color: $panel-lighten-2; }
    ProgressHeader > .progress--count { color: $text; text-style: bold; }
    ProgressHeader > .progress--kind { color: $accent; text-style: bold; }
    ProgressHeader > .progress--where { color: $text-muted; }
    ProgressHeader > .progress--badge { color: $warning; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "progress--bar",
        "progress--rest",
        "progress--count",
        "progress--kind",
        "progress--where",
        "progress--badge",
    }

    done: reactive[int] = reactive(0)
    remaining: reactive[int] = reactive(0)
    kind: reactive[str] = reactive("")
    where: reactive[str] = reactive("")
    relearning: reactive[bool] = reactive(False)

    def render(self) -> Text:
        total = self.done + self.remaining
        count = f"{self.done}/{total} done · {self.remaining} left"
        width = self.content_size.width
        bar_w = max(6, min(24, width // 5))
        filled = round(bar_w * self.done / total) if total else bar_w
        out = Text(no_wrap=True, overflow="ellipsis", end="")
        out.append(count + "  ", self.get_component_rich_style("progress--count"))
        out.append("━" * filled, self.get_component_rich_style("progress--bar"))
        out.append("━" * (bar_w - filled), self.get_component_rich_style("progress--rest"))
        if self.kind:
            out.append("  " + self.kind, self.get_component_rich_style("progress--kind"))
        if self.relearning:
            out.append("  ↻ relearning", self.get_component_rich_style("progress--badge"))
        if self.where:
            room = width - out.cell_len - 3
            if room > 4:
                out.append(
                    " · " + fit(self.where, room), self.get_component_rich_style("progress--where")
                )
        return out
