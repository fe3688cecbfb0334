"""The cram quiz's last page: the score and the cards that were missed.

:class:`QuizResults` is one page of :class:`~studyapp.tui.screens.quiz.QuizScreen`
(styled by ``quiz.tcss`` beside it); the screen calls :meth:`QuizResults.show` when
the quiz ends, and handles ``enter`` (new quiz) and ``esc`` (back) itself.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Label, Static

from studyapp.services.cram import CramScore

__all__ = ["QuizResults"]


class QuizResults(VerticalScroll):
    """Score, misses with their expected answers, and the keys that lead on."""

    def compose(self) -> ComposeResult:
        yield Static(id="score")
        yield Label("Misses · 答错的题", classes="section-title", id="misses-title")
        yield Static(id="misses")
        yield Static(
            Content.styled("enter: new quiz · esc: back", "$text-muted"), id="results-hint"
        )

    def show(self, s: CramScore) -> None:
        """Fill the page from the score so far."""
        tone = (
            "$text-success"
            if s.percent >= 80
            else "$text-warning"
            if s.percent >= 50
            else "$text-error"
        )
        self.query_one("#score", Static).update(
            Content.assemble(
                ("Score · 得分\n", "bold $text-primary"),
                (f"{s.correct} / {s.answered}", f"bold {tone}"),
                (f"   {s.percent:.0f}%", f"bold {tone}"),
                ("\nThe schedule was not changed. 复习计划未改变。", "$text-muted"),
            )
        )
        if s.misses:
            lines = [
                Content.assemble(
                    ("✗ ", "bold $text-error"),
                    question,
                    ("\n   → ", "$text-muted"),
                    (_one_line(expected), "$text-success"),
                )
                for _card_id, question, expected in s.misses
            ]
            self.query_one("#misses", Static).update(Content("\n").join(lines))
        else:
            self.query_one("#misses", Static).update(Content.styled("None. 全对!", "$text-success"))


def _one_line(text: str, width: int = 100) -> str:
    """First non-empty line of an expected answer (note answers are whole sections)."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"
