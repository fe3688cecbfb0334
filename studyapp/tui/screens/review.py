"""The daily review session: one card at a time, graded 0-5, saved as you go.

The screen is a small state machine (``loading → asking → revealed → saving``);
everything that touches the database or the notes folder runs in a thread worker
and comes back with ``call_from_thread``, so keys never wait on disk.  Scheduling,
grading and the session queue are the services' and the core's: this module only
presents them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from studyapp.core.model import GradeResult, Prompt
from studyapp.core.quiz import grade_response, make_prompt
from studyapp.core.session import QueueItem, ReviewSession
from studyapp.core.srs import GRADE_LABELS, SrsState
from studyapp.core.table_prompts import typed_ok
from studyapp.core.wording import plural
from studyapp.services.custom_study import CustomStudy, custom_queue
from studyapp.services.review import AnswerResult, CardView, interval_label, new_session_id
from studyapp.services.search import linked_note_id
from studyapp.tui.context import AppContext
from studyapp.tui.screens.review_actions import CardActions, Step
from studyapp.tui.widgets.card_view import CardPanel, card_for
from studyapp.tui.widgets.grade_bar import GradeBar, short_label
from studyapp.tui.widgets.progress_header import ProgressHeader
from studyapp.tui.widgets.session_summary import summary_text

__all__ = ["ReviewScreen", "system_seed"]

State = Literal["loading", "asking", "revealed", "saving", "finished"]
SeedSource = Callable[[], int]
Clock = Callable[[], float]


def system_seed() -> int:
    return random.SystemRandom().randrange(1, 2**31)


def _grade_bindings() -> list[Binding]:
    # Not in the footer: the grade bar shows the six grades with their meanings and
    # next intervals, and at 80 columns the footer could not hold them all.
    return [
        Binding(
            str(g),
            f"grade({g})",
            short_label(g),
            tooltip=GRADE_LABELS[g],
            show=False,
            id=f"review.grade{g}",
        )
        for g in range(6)
    ]


class ReviewScreen(CardActions, Screen[None]):
    """Today's due cards (optionally filtered), with same-session relearning."""

    CSS_PATH = "review.tcss"
    AUTO_FOCUS = None
    # A key bound twice (1-4, d) runs the first binding whose action is enabled in the
    # current state: grades once revealed, options while a table card is asked.
    BINDINGS: ClassVar[list[BindingType]] = [
        *_grade_bindings(),
        Binding("enter", "accept", "accept grade", id="review.accept"),
        Binding("space", "reveal", "answer", tooltip="show the answer", id="review.reveal"),
        *[
            Binding(
                key,
                f"choose({i})",
                "choose",
                show=(key == "a"),
                key_display="a-d",
                id=f"review.choose_{key}",
            )
            for i, key in enumerate("abcd")
        ],
        *[Binding(str(i + 1), f"choose({i})", "choose", show=False) for i in range(4)],
        Binding(
            "d",
            "toggle_details",
            "note",
            tooltip="the full note, at this card's section",
            id="review.details",
        ),
        Binding("u", "undo", "undo", id="review.undo"),
        Binding("e", "edit", "edit", tooltip="edit the note in $EDITOR", id="review.edit"),
        Binding("s", "skip", "skip", tooltip="bury until tomorrow", id="review.skip"),
        Binding(
            "exclamation_mark",
            "suspend",
            "suspend",
            key_display="!",
            tooltip="suspend this card until you unsuspend it (notes browser)",
            id="review.suspend",
        ),
        Binding(
            "equals_sign",
            "bury_note",
            "bury",
            key_display="=",
            tooltip="bury every card of this note until tomorrow",
            id="review.bury_note",
        ),
        # Not in the footer (escape is "back" everywhere); it asks before ending a session.
        Binding("escape", "leave", "back", show=False, id="review.leave"),
    ]

    def __init__(
        self,
        ctx: AppContext,
        *,
        tag: str | None = None,
        kind: str | None = None,
        folder: str | None = None,
        limit: int | None = None,
        custom: CustomStudy | None = None,
        seed_source: SeedSource = system_seed,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.filters = {"tag": tag, "kind": kind, "folder": folder, "limit": limit}
        self.custom = custom  # "study more": review ahead or one tag/folder
        self.seed_source = seed_source
        self.clock = clock
        self.session_id = new_session_id()
        self.session: ReviewSession | None = None
        self.state: State = "loading"
        self.view: CardView | None = None
        self.prompt: Prompt | None = None
        self.result: GradeResult | None = None
        self.response = ""
        self.chosen: int | None = None
        self.elapsed_ms = 0
        self.shown_at = 0.0
        self.started_at = 0.0
        self.done: list[Step] = []
        self.requeued: set[int] = set()
        self.typed_recall = False
        self.preview: tuple[SrsState, ...] | None = None  # the state each grade would give
        self.details_note: int | None = None  # the note ``d`` opens (a calc card's linked one)
        self.leave_armed = False  # escape pressed once during a session

    @property
    def in_session(self) -> bool:
        """Cards are left: the app keeps this screen under others and escape asks first."""
        return self.session is not None and not self.session.finished

    @property
    def can_restart(self) -> bool:
        """Finished: ``r`` starts a new session (e.g. on the cards that became due)."""
        return self.state == "finished"

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield ProgressHeader(id="progress")
        with VerticalScroll(id="card-area"):
            yield Static(Content("loading today's queue…"), id="status", classes="status")
        yield GradeBar(id="grade-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.started_at = self.clock()
        self.query_one("#grade-bar").display = False
        self.start_session()

    # -- state -----------------------------------------------------------------------
    def set_state(self, state: State) -> None:
        self.state = state
        self.leave_armed = False
        self.refresh_bindings()
        self.update_grade_bar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        prompt, state = self.prompt, self.state
        choosing = prompt is not None and prompt.answer_mode == "choice"
        if action == "reveal":
            return state == "asking" and prompt is not None and prompt.answer_mode == "self"
        if action == "choose":
            index = int(parameters[0])  # type: ignore[call-overload]
            return (
                state == "asking"
                and choosing
                and prompt is not None
                and index < len(prompt.options)
            )
        if action == "grade":
            return state == "revealed"
        if action == "accept":
            return state == "revealed" and self.result is not None
        if action == "toggle_details":
            # Any card with a note; a note card also before its answer is shown (the note
            # is its answer), a table card only after (``d`` is its fourth option before).
            # Calc cards open the note they are linked to (found when the card was fetched).
            view = self.view
            if view is None or self.details_note is None:
                return False
            return state == "revealed" or (state == "asking" and view.kind == "note")
        if action == "undo":
            return bool(self.done) and state not in ("loading", "saving")
        if action in ("suspend", "bury_note"):
            has_note = action == "suspend" or (
                self.view is not None and self.view.note_id is not None
            )
            return state in ("asking", "revealed") and has_note
        if action in ("edit", "skip"):
            has_note = action == "skip" or (
                self.view is not None and self.view.note_path is not None
            )
            return state in ("asking", "revealed") and has_note
        return True

    def update_grade_bar(self) -> None:
        bar = self.query_one("#grade-bar", GradeBar)
        if self.state != "revealed":
            bar.display = False
            return
        proposed = self.result.grade if self.result is not None else None
        relearning = self.view is not None and self.view.id in self.requeued
        intervals = None
        if self.preview is not None:
            intervals = tuple(interval_label(after.interval) for after in self.preview)
        due = self.view.state.due if self.view is not None else None
        bar.show_grades(proposed, intervals, relearning=relearning, relearn_due=due)

    # -- session -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="review")
    def start_session(self) -> None:
        if self.custom is not None and self.custom.kind != "new":
            queue = custom_queue(self.ctx.coll, self.custom)
        else:
            queue = self.ctx.review.due_items(**self.filters)  # type: ignore[arg-type]
        settings = self.ctx.coll.settings
        self.app.call_from_thread(self.begin, queue, settings.relearn_gap, settings.typed_recall)

    async def begin(self, queue: Sequence[QueueItem], relearn_gap: int, typed_recall: bool) -> None:
        self.session = ReviewSession(queue, relearn_gap=relearn_gap)
        self.typed_recall = typed_recall
        await self.show_current()

    async def show_current(self) -> None:
        assert self.session is not None
        item = self.session.current()
        self.update_progress()
        if item is None:
            await self.show_summary()
            return
        self.set_state("loading")
        self.fetch_card(item.card_id, self.seed_source())

    def update_progress(self) -> None:
        header = self.query_one(ProgressHeader)
        if self.session is None:
            return
        done, remaining = self.session.progress
        header.done, header.remaining = done, remaining
        item = self.session.current()
        header.relearning = item is not None and item.card_id in self.requeued
        if item is None:
            header.kind, header.where = "", ""

    @work(thread=True, exclusive=True, group="review")
    def fetch_card(self, card_id: int, seed: int) -> None:
        view = self.ctx.review.card(card_id)
        preview = self.ctx.review.preview(view.id)
        if view.note_id is None and view.kind == "calc":
            self.details_note = linked_note_id(self.ctx.coll, card_id)
        else:
            self.details_note = view.note_id
        typed = self.typed_recall and view.kind == "table" and typed_ok(view.payload)
        prompt = make_prompt(view.kind, view.payload, seed, context=view.note_title, typed=typed)
        self.app.call_from_thread(self.present, view, prompt, preview)

    async def present(
        self, view: CardView, prompt: Prompt, preview: tuple[SrsState, ...] | None = None
    ) -> None:
        self.view, self.prompt, self.result = view, prompt, None
        self.preview = preview
        self.response, self.chosen = "", None
        header = self.query_one(ProgressHeader)
        header.kind = view.kind
        header.where = view.note_path or "calc deck"
        area = self.query_one("#card-area", VerticalScroll)
        await area.remove_children()
        card = card_for(prompt, id="card")
        await area.mount(card)
        area.scroll_home(animate=False)
        self.shown_at = self.clock()
        self.set_state("asking")
        self.call_after_refresh(card.focus_answer)

    @property
    def card(self) -> CardPanel:
        return self.query_one("#card", CardPanel)

    # -- answering -----------------------------------------------------------------------
    def action_reveal(self) -> None:
        self.elapsed_ms = int((self.clock() - self.shown_at) * 1000)
        self.card.reveal(None)
        self.set_state("revealed")

    def action_choose(self, index: int) -> None:
        self.chosen = index
        self.check_answer("abcd"[index])

    @on(CardPanel.Answered)
    def typed_answer(self, event: CardPanel.Answered) -> None:
        if self.state == "asking":
            self.check_answer(event.response)

    def check_answer(self, response: str) -> None:
        assert self.prompt is not None
        self.elapsed_ms = int((self.clock() - self.shown_at) * 1000)
        self.response = response
        self.result = grade_response(self.prompt, response, self.elapsed_ms)
        self.set_focus(None)
        self.card.reveal(self.result, self.chosen)
        self.set_state("revealed")

    def action_accept(self) -> None:
        if self.result is not None:
            self.commit(self.result.grade)

    def action_grade(self, grade: int) -> None:
        self.commit(grade)

    def commit(self, grade: int) -> None:
        assert self.session is not None and self.prompt is not None
        item = self.session.current()
        assert item is not None
        outcome = self.session.answer(grade)
        if outcome.requeued:
            self.requeued.add(item.card_id)
        self.done.append(Step("answer", item.card_id, grade))
        self.set_state("saving")
        self.record(
            item.card_id,
            grade,
            outcome.rescheduled,
            self.response if self.prompt.answer_mode != "self" else None,
            self.result.correct if self.result is not None else None,
            self.prompt.seed,
            self.elapsed_ms,
        )

    @work(thread=True, exclusive=True, group="review")
    def record(
        self,
        card_id: int,
        grade: int,
        rescheduled: bool,
        response: str | None,
        correct: bool | None,
        seed: int,
        duration_ms: int,
    ) -> None:
        try:
            result = self.ctx.review.record(
                card_id,
                grade,
                session_id=self.session_id,
                duration_ms=duration_ms,
                rescheduled=rescheduled,
                response=response,
                correct=correct,
                seed=seed,
            )
        except Exception as exc:  # the answer was not saved: take it back
            self.app.call_from_thread(self.record_failed, str(exc))
            return
        self.app.call_from_thread(self.recorded, result)

    async def recorded(self, result: AnswerResult) -> None:
        if result.rescheduled and result.after.due is not None:
            self.notify(
                f"next review {result.after.due.isoformat()}"
                f" ({interval_label(result.after.interval)})",
                timeout=3,
                markup=False,
            )
        if result.message:
            self.notify(result.message, title="write-back", severity="warning", markup=False)
        await self.show_current()

    async def record_failed(self, message: str) -> None:
        assert self.session is not None
        self.session.undo()
        self.done.pop()
        self.notify(f"not saved: {message}", severity="error", markup=False)
        await self.show_current()

    # -- the end ---------------------------------------------------------------------------
    async def show_summary(self) -> None:
        assert self.session is not None
        self.view, self.prompt, self.result = None, None, None
        summary = self.session.summary()
        area = self.query_one("#card-area", VerticalScroll)
        await area.remove_children()
        if summary.answers == 0 and summary.skipped == 0:
            await area.mount(
                Static(
                    Content(
                        "Nothing due right now. 今天没有要复习的卡片。\n\n"
                        "q — cram quiz · escape — back to the dashboard"
                    ),
                    id="summary",
                    classes="summary",
                )
            )
        else:
            await area.mount(
                Static(
                    summary_text(summary, max(0, int(self.clock() - self.started_at))),
                    id="summary",
                    classes="summary",
                )
            )
            # Above the summary: at 80x24 a line below it was out of sight.
            await area.mount(Static(id="after-session", classes="after-session"), before="#summary")
            self.count_left()
        self.set_state("finished")

    @work(thread=True, exclusive=True, group="review")
    def count_left(self) -> None:
        # A skipped new card frees a place in today's new-card quota, so the queue may
        # hold cards this session never had: say so, rather than let the dashboard do it.
        left = len(self.ctx.review.due_items(**self.filters))  # type: ignore[arg-type]
        self.app.call_from_thread(self.show_left, left)

    def show_left(self, left: int) -> None:
        if left:
            text = (
                f"{plural(left, 'more card')} can be reviewed today"
                " (new cards take the place of skipped ones) — r starts them"
            )
        else:
            text = "Nothing else is due today. 今天的复习已全部完成。"
        self.query_one("#after-session", Static).update(Content(text))
