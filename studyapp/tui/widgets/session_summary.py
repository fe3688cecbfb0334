"""The end-of-session text: what was counted, said in words that cannot be misread.

A session has two counts that users confuse: cards (each graded once for its
schedule) and grades given (relearning repeats included).  The grade bars count the
first grade of each card, so they sum to the cards line, and the heading says so.
"""

from __future__ import annotations

from rich.text import Text

from studyapp.core.session import SessionSummary
from studyapp.core.srs import GRADE_LABELS
from studyapp.core.wording import plural

__all__ = ["summary_text"]


def summary_text(summary: SessionSummary, seconds: int) -> Text:
    """The summary of a finished session that took ``seconds``."""
    repeats = summary.answers - summary.answered
    out = Text(end="")
    out.append("Session complete · 本次复习完成\n\n", style="bold")
    out.append(f"cards graded     {plural(summary.answered, 'card')}\n")
    out.append(f"grades given     {summary.answers}")
    if repeats:
        out.append(f" ({plural(repeats, 'relearning repeat')})")
    out.append("\n")
    out.append(f"came back        {plural(summary.relearned, 'card')} (graded below 4)\n")
    out.append(f"set aside        {plural(summary.skipped, 'card')} (skipped, buried, suspended)\n")
    out.append(f"time             {seconds // 60}:{seconds % 60:02d}\n\n")
    out.append("first grade of each card\n", style="bold")
    top = max(summary.grade_counts) or 1
    for grade in range(5, -1, -1):
        count = summary.grade_counts[grade]
        filled = round(12 * count / top)
        out.append(f" {grade} ", style="bold")
        out.append("█" * filled + " " * (12 - filled))
        out.append(f" {count:>3}  {GRADE_LABELS[grade]}\n")
    out.append("\nescape — back to the dashboard · u — undo the last answer", style="dim")
    return out
