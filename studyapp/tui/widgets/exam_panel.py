"""Dashboard panel: each exam's countdown and readiness (predicted recall on the day).

A widget of its own so the dashboard only has to place it: it loads
:func:`studyapp.services.exams.status` in a thread worker and hides itself when there
is no exam.  Exam names are user text and are shown literally, never as markup.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.widgets import Static

from studyapp.tui.widgets.text_cells import pad_right

__all__ = ["ExamPanel", "exam_lines", "readiness_bar"]

#: Cells of the readiness bar.
BAR_WIDTH = 20


def readiness_bar(value: float, width: int = BAR_WIDTH) -> str:
    """``value`` (0..1) as a bar of full blocks over a dotted track."""
    filled = round(max(0.0, min(1.0, value)) * width)
    return "█" * filled + "·" * (width - filled)


def countdown(days_left: int) -> str:
    if days_left > 1:
        return f"in {days_left} days"
    if days_left == 1:
        return "tomorrow"
    if days_left == 0:
        return "today"
    return f"{-days_left} days ago"


def exam_lines(rows: list[dict[str, Any]]) -> Text:
    """One line per exam: name, date, countdown, readiness bar and percentage."""
    out = Text(no_wrap=True, overflow="ellipsis", end="")
    for i, row in enumerate(rows):
        if i:
            out.append("\n")
        readiness = float(row["readiness"])
        tone = "green" if readiness >= 0.85 else ("yellow" if readiness >= 0.6 else "red")
        out.append(pad_right(str(row["name"]), 16) + " ", style="bold")
        out.append(f"{row['date']} · {countdown(int(row['days_left']))}  ", style="dim")
        out.append(readiness_bar(readiness), style=tone)
        out.append(f" {readiness:>4.0%} ready", style="bold")
        out.append(f"  {row['cards']} cards, {row['new_cards']} new · {row['scope']}", style="dim")
    return out


class ExamPanel(Static):
    """Countdown and readiness per exam; invisible without exams."""

    DEFAULT_CSS = """
    ExamPanel {
        height: auto;
        border: round $accent 60%;
        border-title-color: $accent;
        border-title-style: bold;
        padding: 0 1;
    }
    """

    def __init__(self, coll: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.coll = coll
        self.rows: list[dict[str, Any]] | None = None

    def on_mount(self) -> None:
        self.border_title = "Interviews · readiness = predicted recall on the day"
        self.border_subtitle = "s: add or remove"
        self.display = False  # the dashboard calls reload() whenever its numbers change

    @work(thread=True, exclusive=True, group="exam-panel")
    def reload(self) -> None:
        from studyapp.services.exams import status

        rows = status(self.coll)
        self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        upcoming = [r for r in rows if r["days_left"] >= 0]
        self.display = bool(upcoming)
        self.update(exam_lines(upcoming))
