"""The calculator's ``x`` question: the scenario on screen asked as a calc card.

:func:`scenario_prompt` turns a :class:`SizingReport` into a calc-card
:class:`~studyapp.core.model.Prompt` (its weight size, or whether it fits), and
:class:`ScenarioQuizScreen` asks it in a modal, grades the typed answer with
:func:`grade_calc` exactly like a calc card in review, then shows the worked steps.
"""

from __future__ import annotations

import time
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from studyapp.core.model import Prompt
from studyapp.core.sizing.calc_grade import grade_calc
from studyapp.core.sizing.report import SizingReport
from studyapp.core.sizing.units import fmt_bytes, fmt_num

__all__ = ["QuizKind", "ScenarioQuizScreen", "scenario_prompt"]

QuizKind = Literal["weights", "fits"]


def scenario_prompt(r: SizingReport, kind: QuizKind) -> Prompt:
    """The scenario on screen as a calc-card prompt, graded by :func:`grade_calc` like any calc card."""
    f = r.figures
    setup = (
        f"{r.model.name} (P = {r.params_total:,}) · {r.fmt.name} ({r.fmt.bpw:g} bpw)"
        f" · context {r.context} · batch {r.batch}"
    )
    if kind == "weights":
        return Prompt(
            kind="calc",
            question=f"{setup}\n权重需要多少 GB? How many GB do the weights take? (GB = 1e9 bytes)",
            answer_mode="numeric",
            expected=fmt_bytes(f["weights_bytes"]),
            seed=0,
            context="calculator",
            worked=r.steps[:2],
            data={
                "value": f["weights_bytes"],
                "tolerance": 0.05,
                "unit_kind": "bytes",
                "unit": "GB",
            },
        )
    usable = r.device.profile.usable_fraction
    return Prompt(
        kind="calc",
        question=(
            f"{setup}\n能在 {r.gpus} × {r.device.name} 上运行吗? Does it fit?"
            f" (usable = {usable:g} × {fmt_num(r.device.mem_gb)} GB) 回答 是/否 (yes/no)"
        ),
        answer_mode="yesno",
        expected="是 (fits)" if r.fits else "否 (does not fit)",
        seed=0,
        context="calculator",
        worked=r.steps[:5],
        data={"value": r.fits, "tolerance": 0.0},
    )


class ScenarioQuizScreen(ModalScreen[bool | None]):
    """One question about the calculator's scenario; dismisses with whether it was right."""

    CSS_PATH = "calc_question.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="calc.quiz.close")
    ]

    def __init__(self, prompt: Prompt) -> None:
        super().__init__()
        self.prompt = prompt
        self.started = time.monotonic()
        self.result: bool | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="quiz-box"):
            yield Label("Quiz: this scenario", classes="title")
            yield Static(Content(self.prompt.question), id="quiz-question")
            placeholder = (
                "e.g. 4.2 GB" if self.prompt.answer_mode == "numeric" else "是 / 否 (yes / no)"
            )
            yield Input(placeholder=placeholder, id="quiz-answer")
            yield Static(id="quiz-result")
            with VerticalScroll(id="quiz-worked"):
                yield Static(id="quiz-steps")

    def on_mount(self) -> None:
        self.query_one("#quiz-worked").display = False

    @on(Input.Submitted, "#quiz-answer")
    def grade_answer(self, event: Input.Submitted) -> None:
        if self.result is not None:
            self.dismiss(self.result)
            return
        elapsed = int((time.monotonic() - self.started) * 1000)
        graded = grade_calc(self.prompt, event.value, elapsed)
        self.result = graded.correct
        if graded.correct:
            verdict = Content.styled(" ✓ correct ", "bold $text-success on $success-muted")
        else:
            verdict = Content.styled(" ✗ not quite ", "bold $text-error on $error-muted")
        detail = f"  expected {graded.expected}"
        if graded.feedback:
            detail += f" · {graded.feedback}"
        self.query_one("#quiz-result", Static).update(
            Content.assemble(verdict, detail, ("\n(enter or esc to close)", "$text-muted"))
        )
        steps = Content("\n").join(
            Content.assemble((f"{n}. ", "$text-muted"), step)
            for n, step in enumerate(self.prompt.worked, 1)
        )
        self.query_one("#quiz-steps", Static).update(steps)
        self.query_one("#quiz-worked").display = True

    def action_close(self) -> None:
        self.dismiss(self.result)
