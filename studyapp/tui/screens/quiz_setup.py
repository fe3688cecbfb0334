"""The cram quiz's setup form: what to drill (tags, folders, kinds), how many, how fast.

With an exam chosen (issue 14), the quiz drills that exam's scope, weakest cards first,
as ``studyapp quiz --exam NAME`` does; the tag, folder and kind filters then step aside.

:class:`QuizSetup` is one page of :class:`~studyapp.tui.screens.quiz.QuizScreen`
(styled by ``quiz.tcss`` beside it): the screen fills the filter lists, reads the
form with :meth:`QuizSetup.read_config` when the quiz starts, and reports problems
through :meth:`QuizSetup.show_message`.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from studyapp.tui.widgets.check import ClearCheckbox, ClearSelectionList

__all__ = ["KINDS", "QuizConfig", "QuizSetup"]

KINDS = ("note", "table", "calc")


@dataclass(frozen=True)
class QuizConfig:
    tags: list[str]
    folders: list[str]
    kinds: list[str]
    count: int
    seconds: int | None  # None: untimed
    seed: int | None = None
    #: An exam's name: its scope, weakest first (services.exams.exam_cram_ids); the
    #: tag, folder and kind filters are not used then.
    exam: str | None = None


class QuizSetup(VerticalScroll):
    """The form; nothing selected in a filter list means everything."""

    def compose(self) -> ComposeResult:
        yield Label(
            "What to drill · 选择范围 (nothing selected = everything)",
            classes="section-title",
        )
        # Shown once the screen finds an upcoming exam (set_exams).
        with Horizontal(id="exam-row"):
            yield Label("Exam", classes="option-label")
            yield Select[str]([], prompt="none: the filters below", compact=True, id="exam")
            yield Static(
                Content("its scope, weakest cards first"), id="exam-hint", classes="option-label"
            )
        with Horizontal(id="filters"):
            with Vertical(classes="filter"):
                yield Label("Tags", classes="filter-title")
                yield ClearSelectionList[str](id="tags")
            with Vertical(classes="filter"):
                yield Label("Folders", classes="filter-title")
                yield ClearSelectionList[str](id="folders")
        with Horizontal(id="options"):
            with Horizontal(classes="option-group"):
                yield Label("Kinds", classes="option-label")
                for kind in KINDS:
                    yield ClearCheckbox(kind, True, id=f"kind-{kind}", compact=True)
            with Horizontal(classes="option-group"):
                yield Label("Cards", classes="option-label")
                yield Input("20", type="integer", id="count", compact=True)
            with Horizontal(classes="option-group"):
                yield ClearCheckbox("timed", False, id="timed", compact=True)
                # Off until "timed" is ticked (see toggle_timer_input).
                yield Input(
                    "30",
                    type="integer",
                    id="seconds",
                    compact=True,
                    disabled=True,
                    tooltip="seconds per card",
                )
                # "s / card" was cut to "s / ca" at 80 columns; the tooltip says it in full.
                yield Label("s", classes="option-label")
        with Horizontal(id="start-row"):
            yield Button("Start quiz (ctrl+s)", id="start", variant="primary")
            yield Static(id="setup-message")

    def set_filters(self, tags: list[str], folders: list[str]) -> None:
        """Offer these tags and folders (the collection's, loaded by the screen)."""
        self.query_one("#tags", SelectionList).add_options([Selection(Text(t), t) for t in tags])
        self.query_one("#folders", SelectionList).add_options(
            [Selection(Text(f), f) for f in folders]
        )

    def on_mount(self) -> None:
        self.query_one("#exam-row").display = False

    def set_exams(self, names: list[str]) -> None:
        """Offer these exams (upcoming ones, loaded by the screen); hidden when there are none."""
        self.query_one("#exam", Select).set_options([(Text(n), n) for n in names])
        self.query_one("#exam-row").display = bool(names)

    def chosen_exam(self) -> str | None:
        value = self.query_one("#exam", Select).value
        return value if isinstance(value, str) else None

    @on(Select.Changed, "#exam")
    def exam_changed(self) -> None:
        """An exam decides the cards: grey out the filters it replaces."""
        exam = self.chosen_exam() is not None
        for widget in self.query("#filters, #kind-note, #kind-table, #kind-calc"):
            widget.disabled = exam

    def show_message(self, message: Content | str) -> None:
        """A line beside the start button: why the form is refused, or progress."""
        self.query_one("#setup-message", Static).update(message)

    @on(Checkbox.Changed, "#timed")
    def toggle_timer_input(self, event: Checkbox.Changed) -> None:
        self.query_one("#seconds", Input).disabled = not event.value

    def read_config(self, seed: int | None = None) -> QuizConfig | str:
        """The form as a config, or the reason it is not valid."""
        exam = self.chosen_exam()
        kinds = [k for k in KINDS if self.query_one(f"#kind-{k}", Checkbox).value]
        if not kinds and exam is None:
            return "Choose at least one kind."
        try:
            count = int(self.query_one("#count", Input).value)
        except ValueError:
            return "Cards: a whole number."
        if not 1 <= count <= 500:
            return "Cards: between 1 and 500."
        seconds = None
        if self.query_one("#timed", Checkbox).value:
            try:
                seconds = int(self.query_one("#seconds", Input).value)
            except ValueError:
                return "Seconds per card: a whole number."
            if not 3 <= seconds <= 3600:
                return "Seconds per card: between 3 and 3600."
        return QuizConfig(
            tags=list(self.query_one("#tags", SelectionList).selected),
            folders=list(self.query_one("#folders", SelectionList).selected),
            kinds=kinds,
            count=count,
            seconds=seconds,
            seed=seed,
            exam=exam,
        )
