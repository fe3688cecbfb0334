"""The grade bar under a revealed card: the six SM-2 grades and what each would schedule.

Like Anki's answer buttons, every grade shows the interval it would give
(``4 犹豫后答对 · 6d``), computed by the review service with the same SM-2 call that
recording the answer makes, so the preview cannot disagree with the result.  On a
relearning repeat (the card was already graded this session) no grade reschedules,
and the bar says so instead of showing intervals that would not happen.

The layout degrades with the width, never cutting a label: bilingual meanings on one
line, then the Chinese meanings only (the footer carries the English ones), then the
six grades over two lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.text import Text
from textual.widgets import Static

from studyapp.core.srs import GRADE_LABELS

__all__ = ["GradeBar", "grade_legend", "short_label"]


def short_label(grade: int) -> str:
    """The English meaning of a grade, for the footer."""
    return GRADE_LABELS[grade].split(" / ")[0]


def _legend_lines(
    labels: dict[int, str],
    highlight: int | None,
    intervals: Sequence[str] | None,
    rows: Sequence[Sequence[int]],
) -> Text:
    out = Text(end="", no_wrap=True, overflow="ellipsis")
    for r, row in enumerate(rows):
        if r:
            out.append("\n")
        for grade in row:
            style = "bold reverse" if grade == highlight else ""
            out.append(f" {grade} ", style=f"bold {style}".strip())
            out.append(labels[grade], style=style)
            if intervals is not None:
                out.append(f" · {intervals[grade]}", style=style or "dim")
            out.append("  ")
    return out


def grade_legend(
    highlight: int | None = None, width: int = 200, intervals: Sequence[str] | None = None
) -> Text:
    """The six grades with their meanings (and intervals); ``highlight`` marks the proposal."""
    bilingual = dict(GRADE_LABELS)
    chinese = {g: label.split(" / ")[-1] for g, label in GRADE_LABELS.items()}
    one_row = [range(6)]
    for labels, rows in (
        (bilingual, one_row),
        (chinese, one_row),
        (chinese, [range(3), range(3, 6)]),
    ):
        text = _legend_lines(labels, highlight, intervals, rows)
        if max(Text(line).cell_len for line in text.plain.split("\n")) <= width:
            return text
    return text


class GradeBar(Static):
    """Proposed grade, the six grades with their next intervals, or the relearning note."""

    DEFAULT_CSS = """
    GradeBar {
        height: auto;
        padding: 0 1;
        background: $panel;
        border-top: hkey $primary;
        color: $text;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.proposed: int | None = None
        self.intervals: tuple[str, ...] | None = None
        self.relearn_due: date | None = None
        self.relearning = False

    def show_grades(
        self,
        proposed: int | None,
        intervals: tuple[str, ...] | None,
        *,
        relearning: bool = False,
        relearn_due: date | None = None,
    ) -> None:
        """Fill the bar for a revealed card; ``relearning``: a repeat that reschedules nothing."""
        self.proposed, self.intervals = proposed, intervals
        self.relearning, self.relearn_due = relearning, relearn_due
        self.display = True
        self.update(self.render_text(max(20, self.size.width - 2 or 78)))

    def on_resize(self) -> None:
        if self.display:
            self.update(self.render_text(max(20, self.size.width - 2)))

    def render_text(self, width: int) -> Text:
        proposed = self.proposed
        text = Text(end="", no_wrap=True, overflow="ellipsis")
        if proposed is not None:
            text.append(f" proposed {proposed} — {GRADE_LABELS[proposed]}", style="bold")
            text.append("  enter accept · 0-5 other\n", style="dim")
        else:
            text.append(" How well did you know it?  0-5\n", style="bold")
        if self.relearning:
            due = self.relearn_due.isoformat() if self.relearn_due else "-"
            text.append(
                f" relearning: already scheduled for {due}; 4-5 ends it, 0-3 again later\n",
                style="dim",
            )
            text.append_text(grade_legend(proposed, width))
        else:
            text.append_text(grade_legend(proposed, width, self.intervals))
        return text
