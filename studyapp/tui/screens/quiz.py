"""Cram quiz: random cards regardless of due date, optionally against the clock.

Setup (tags, folders, kinds, count, timer) → questions one by one, answered the same
way as in the review screen (note cards: ``space`` then 0-5; choice: a-d / 1-4; typed
and calc cards: an Input) → score and the list of misses.  Every answer is recorded
with ``cram=True``: the schedule and the note files are never touched.  The setup
form and the results page are widgets of their own (:mod:`.quiz_setup`,
:mod:`.quiz_results`); this module runs the questions.  All three are styled by
``quiz.tcss``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, ContentSwitcher, Footer, Header, Input, Static

from studyapp.core.model import GradeResult, Prompt
from studyapp.core.quiz import grade_response, is_self_graded, make_prompt
from studyapp.core.srs import GRADE_LABELS
from studyapp.services import queries
from studyapp.services.cram import CramScore, cram_selection
from studyapp.services.review import CardView, new_session_id
from studyapp.tui.context import AppContext
from studyapp.tui.screens.quiz_results import QuizResults
from studyapp.tui.screens.quiz_setup import QuizConfig, QuizSetup
from studyapp.tui.widgets.card_view import CardPanel, card_for

# QuizConfig is re-exported: callers knew it from here.
__all__ = ["QuizConfig", "QuizScreen"]

Phase = Literal["setup", "loading", "asking", "grading", "revealed", "done"]
LETTERS = "abcd"
#: App-level screen keys (StudyApp) that must not end a running quiz by accident.
NAV_KEYS = {"r": "review", "n": "notes", "t": "stats", "i": "import_notes"}
PLAYING: tuple[str, ...] = ("loading", "asking", "grading", "revealed")


@dataclass
class Current:
    """The card on screen."""

    view: CardView
    prompt: Prompt
    shown_at: float
    answered: bool = False
    extra: dict[str, object] = field(default_factory=dict)


class QuizScreen(Screen[None]):
    """Cram quiz over random cards; never reschedules."""

    CSS_PATH = "quiz.tcss"
    TITLE = "Cram quiz"
    SUB_TITLE = "突击测验 · schedule unchanged"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back / end", id="quiz.leave"),
        Binding("space", "advance", "Reveal / next", id="quiz.advance"),
        Binding("enter", "advance", "Next", id="quiz.next", show=False),
        *(Binding(str(g), f"grade({g})", f"grade {g}", show=False) for g in range(6)),
        *(Binding(k, f"choose({i})", f"option {k}", show=False) for i, k in enumerate(LETTERS)),
        Binding("ctrl+s", "start", "Start", id="quiz.start"),
        # The app's screen keys would drop a running quiz: guard them (see action_navigate).
        *(Binding(k, f"navigate('{a}')", a, show=False) for k, a in NAV_KEYS.items()),
    ]

    def __init__(self, ctx: AppContext, *, seed: int | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.seed = seed
        self.phase: Phase = "setup"
        self.ids: list[int] = []
        self.index = 0
        self.score = CramScore()
        self.session_id = new_session_id()
        self.current: Current | None = None
        self.config: QuizConfig | None = None
        self._rng = random.Random(seed)
        self._ticker: Timer | None = None
        self._typed = False

    # -- layout ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial="setup", id="quiz-switch"):
            yield QuizSetup(id="setup")
            with Vertical(id="play"):
                with Horizontal(id="play-head"):
                    yield Static(id="progress")
                    yield Static(id="timer")
                yield VerticalScroll(id="card-area")
                yield Static(id="play-hint")
            yield QuizResults(id="results")
        yield Footer()

    def on_mount(self) -> None:
        self.load_filters()

    @work(thread=True, exclusive=True, group="quiz-filters")
    def load_filters(self) -> None:
        from studyapp.services.exams import list_exams

        coll = self.ctx.coll
        rows = queries.notes(coll)
        tags = sorted({t for r in rows for t in r.tags})
        folders = sorted({r.folder for r in rows if r.folder})
        today = coll.today()  # the exam day itself still counts: a last cram that morning
        exams = [e.name for e in list_exams(coll) if e.exam_date >= today]
        self.app.call_from_thread(self._filters_loaded, tags, folders, exams)

    def _filters_loaded(self, tags: list[str], folders: list[str], exams: list[str]) -> None:
        self._setup.set_filters(tags, folders)
        self._setup.set_exams(exams)

    @property
    def _setup(self) -> QuizSetup:
        return self.query_one("#setup", QuizSetup)

    # -- setup -> play --------------------------------------------------------------
    def read_config(self) -> QuizConfig | str:
        """The form as a config, or the reason it is not valid."""
        return self._setup.read_config(seed=self.seed)

    @on(Button.Pressed, "#start")
    @on(Input.Submitted, "#count, #seconds")
    def action_start(self) -> None:
        if self.phase not in ("setup", "done"):
            return
        config = self.read_config()
        if isinstance(config, str):
            self._setup.show_message(Content.styled(config, "$text-error"))
            return
        self.config = config
        self.phase = "loading"
        self._setup.show_message(Content.styled("Drawing cards…", "$text-muted"))
        self.draw_cards(config)

    @work(thread=True, exclusive=True, group="quiz-load")
    def draw_cards(self, config: QuizConfig) -> None:
        coll = self.ctx.coll
        if config.exam is not None:  # issue 14: as ``quiz --exam``, weakest first
            from studyapp.services.exams import exam_cram_ids

            try:
                ids = exam_cram_ids(coll, config.exam, count=config.count)
            except KeyError:  # removed meanwhile (the CLI, the scheduler screen)
                ids = []
        else:
            ids = cram_selection(
                coll,
                count=config.count,
                tags=config.tags or None,
                folders=config.folders or None,
                kinds=config.kinds,
                seed=config.seed,
            )
        typed = bool(getattr(coll.settings, "typed_recall", False))
        self.app.call_from_thread(self._cards_drawn, ids, typed)

    def _cards_drawn(self, ids: list[int], typed: bool) -> None:
        if not ids:
            self.phase = "setup"
            self._setup.show_message(
                Content.styled("No cards match. 没有符合条件的卡片。", "$text-warning")
            )
            return
        self._setup.show_message("")
        self.ids, self.index, self._typed = ids, 0, typed
        self.score = CramScore()
        self.session_id = new_session_id()
        self.query_one("#quiz-switch", ContentSwitcher).current = "play"
        self.load_card()

    # -- one card ---------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="quiz-card")
    def load_card(self) -> None:
        card_id = self.ids[self.index]
        view = self.ctx.review.card(card_id)
        seed = self._rng.randrange(1 << 31)
        prompt = make_prompt(
            view.kind, view.payload, seed, context=view.note_title, typed=self._typed
        )
        self.app.call_from_thread(self._show_card, view, prompt)

    async def _show_card(self, view: CardView, prompt: Prompt) -> None:
        area = self.query_one("#card-area", VerticalScroll)
        await area.remove_children()
        panel = card_for(prompt, id="card")
        await area.mount(panel)
        self.current = Current(view=view, prompt=prompt, shown_at=time.monotonic())
        self.phase = "asking"
        self.set_focus(None)
        panel.focus_answer()
        self._update_progress()
        self._start_timer()
        self._hint()

    def _panel(self) -> CardPanel:
        return self.query_one("#card", CardPanel)

    def _elapsed_ms(self) -> int:
        return 0 if self.current is None else int((time.monotonic() - self.current.shown_at) * 1000)

    # -- the timer --------------------------------------------------------------------
    def _start_timer(self) -> None:
        self._stop_timer()
        timer = self.query_one("#timer", Static)
        if self.config is None or self.config.seconds is None:
            timer.display = False
            return
        timer.display = True
        self._tick()
        self._ticker = self.set_interval(0.25, self._tick)

    def _stop_timer(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _tick(self) -> None:
        if self.config is None or self.config.seconds is None or self.current is None:
            return
        left = self.config.seconds - self._elapsed_ms() / 1000
        style = "$text-error" if left <= 5 else "$text-accent"
        self.query_one("#timer", Static).update(
            Content.styled(f"⏱ {max(0, int(left + 0.999))} s", f"bold {style}")
        )
        if left <= 0 and self.phase in ("asking", "grading"):
            self.time_out()

    def time_out(self) -> None:
        """Time's up: a miss, whatever the kind; show the answer."""
        current = self.current
        if current is None or current.answered:
            return
        self._stop_timer()
        self.query_one("#timer", Static).update(
            Content.styled("⏱ time's up · 超时", "bold $text-error")
        )
        miss = GradeResult(False, 0, current.prompt.expected, "time's up · 超时")
        panel = self._panel()
        for answer in panel.query("#answer"):
            answer.disabled = True
        if self.phase == "asking":
            panel.reveal(None if is_self_graded(current.prompt) else miss, None)
        self._finish(0, False, None)

    # -- answering ----------------------------------------------------------------------
    def action_advance(self) -> None:
        """space/enter: reveal a note card's answer, or go to the next card."""
        if self.phase == "asking" and self.current and is_self_graded(self.current.prompt):
            self._panel().reveal(None)
            self.phase = "grading"
            self._hint()
        elif self.phase == "revealed":
            self.next_card()
        elif self.phase == "done":
            self.new_quiz()

    def action_grade(self, grade: int) -> None:
        if self.phase == "grading":
            self._finish(grade, grade >= 3, None)
        elif (
            self.phase == "asking" and self.current and self.current.prompt.answer_mode == "choice"
        ):
            self.action_choose(grade - 1)

    def action_navigate(self, action: str) -> None:
        """A screen key of the app: refused while a quiz runs, passed on otherwise."""
        if self.phase in PLAYING:
            self.notify("Finish the quiz first, or press esc to end it. 先结束测验。", timeout=3)
            return
        handler = getattr(self.app, f"action_{action}", None)
        if handler is not None:
            handler()

    def action_choose(self, index: int) -> None:
        if index == 2 and self.phase not in PLAYING:
            self.action_navigate("calculator")  # "c" is the app's calculator key outside a quiz
            return
        current = self.current
        if self.phase != "asking" or current is None or current.prompt.answer_mode != "choice":
            return
        if not 0 <= index < len(current.prompt.options):
            return
        response = LETTERS[index]
        result = grade_response(current.prompt, response, self._elapsed_ms())
        assert result is not None
        self._panel().reveal(result, index)
        self._finish(result.grade, result.correct, response)

    @on(CardPanel.Answered)
    def typed_answer(self, event: CardPanel.Answered) -> None:
        current = self.current
        if self.phase != "asking" or current is None:
            return
        result = grade_response(current.prompt, event.response, self._elapsed_ms())
        if result is None:
            return
        self._panel().reveal(result, None)
        self._finish(result.grade, result.correct, event.response)

    def _finish(self, grade: int, correct: bool, response: str | None) -> None:
        """Score the card, record it as a cram answer, wait for space/enter."""
        current = self.current
        if current is None or current.answered:
            return
        current.answered = True
        self._stop_timer()
        self.set_focus(None)
        self.phase = "revealed"
        self.score.add(current.view.id, correct, current.prompt.question, current.prompt.expected)
        self.record(current, grade, correct, response)
        self._update_progress()
        self._hint()

    @work(thread=True, group="quiz-record")
    def record(self, current: Current, grade: int, correct: bool, response: str | None) -> None:
        self.ctx.review.record(
            current.view.id,
            grade,
            session_id=self.session_id,
            duration_ms=int((time.monotonic() - current.shown_at) * 1000),
            response=response,
            correct=correct,
            seed=current.prompt.seed,
            cram=True,
        )

    def next_card(self) -> None:
        self.index += 1
        if self.index >= len(self.ids):
            self.show_results()
        else:
            self.phase = "loading"
            self.load_card()

    # -- progress and hints -------------------------------------------------------------
    def _update_progress(self) -> None:
        total = len(self.ids)
        n = min(self.index + 1, total)
        s = self.score
        self.query_one("#progress", Static).update(
            Content.assemble(
                (f"{n} / {total}", "bold $text-primary"),
                ("   ✓ ", "$text-success"),
                str(s.correct),
                ("   ✗ ", "$text-error"),
                str(s.answered - s.correct),
            )
        )

    def _hint(self) -> None:
        prompt = self.current.prompt if self.current else None
        if self.phase == "grading":
            text = "  ".join(f"{g} {GRADE_LABELS[g].split(' / ')[0]}" for g in range(6))
            hint = Content.assemble(("grade yourself: ", "bold"), text)
        elif self.phase == "revealed":
            hint = Content.assemble(("space / enter", "bold $text-accent"), " next card")
        elif prompt is not None and prompt.answer_mode == "choice":
            hint = Content.assemble(("a-d / 1-4", "bold $text-accent"), " choose")
        elif prompt is not None and is_self_graded(prompt):
            hint = Content.assemble(
                ("space", "bold $text-accent"), " show the answer, then grade 0-5"
            )
        else:
            hint = Content.assemble(("enter", "bold $text-accent"), " check the answer")
        self.query_one("#play-hint", Static).update(hint)

    # -- results --------------------------------------------------------------------------
    def show_results(self) -> None:
        self._stop_timer()
        self.phase = "done"
        self.query_one("#results", QuizResults).show(self.score)
        self.query_one("#quiz-switch", ContentSwitcher).current = "results"

    def new_quiz(self) -> None:
        self.phase = "setup"
        self.current = None
        self.query_one("#quiz-switch", ContentSwitcher).current = "setup"

    def action_leave(self) -> None:
        """escape: end a running quiz (score so far), else go back."""
        if self.phase in PLAYING and self.ids:
            self.show_results()
        else:
            self._stop_timer()
            self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return self.phase in ("setup", "done")
        if action == "advance":
            return self.phase in ("asking", "grading", "revealed", "done")
        return True
