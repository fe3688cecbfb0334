"""What the review screen does to a card besides grading it: undo, skip, suspend,
bury the note, edit, open the full note, leave.

A mixin of :class:`~studyapp.tui.screens.review.ReviewScreen`, kept apart because it
is a concept of its own: every step here is undoable (``u``), recorded as a
:class:`Step` on the screen's stack, and reverted with the matching service call.
The screen owns the state these methods read (``session``, ``view``, ``done``) and
``show_current``/``set_state``, which they call.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from textual import work

from studyapp.core.wording import plural

if TYPE_CHECKING:
    from studyapp.core.session import ReviewSession
    from studyapp.services.review import CardView
    from studyapp.tui.context import AppContext

__all__ = ["CardActions", "Step"]


@dataclass(frozen=True)
class Step:
    """One undoable step of this screen: an answer (logged), a skip, a suspend, a note bury.

    ``buried_before``: the cards' ``buried_until`` before a note bury, to put back.
    """

    kind: Literal["answer", "skip", "suspend", "bury_note"]
    card_id: int
    grade: int | None = None
    buried_before: dict[int, date | None] | None = None


class CardActions:
    """Undoable card actions for the review screen (see the module docstring)."""

    if TYPE_CHECKING:  # provided by ReviewScreen and Screen
        from textual.app import App

        ctx: AppContext
        session: ReviewSession | None
        view: CardView | None
        done: list[Step]
        requeued: set[int]
        leave_armed: bool
        details_note: int | None
        app: App[object]

        @property
        def in_session(self) -> bool: ...
        def set_state(self, state: str) -> None: ...
        async def show_current(self) -> None: ...
        def fetch_card(self, card_id: int, seed: int) -> None: ...
        def seed_source(self) -> int: ...
        def notify(self, message: str, **kwargs: object) -> None: ...

    # -- undo, skip, edit, details -------------------------------------------------------
    def action_undo(self) -> None:
        step = self.done.pop()
        self.set_state("loading")
        self.undo_step(step)

    @work(thread=True, exclusive=True, group="review")
    def undo_step(self, step: Step) -> None:
        message = None
        if step.kind == "answer":
            undone = self.ctx.review.undo_last(self.session_id)
            if undone is not None and undone.message:
                message = undone.message
        elif step.kind == "suspend":
            self.ctx.review.set_suspended(step.card_id, False)
        elif step.kind == "bury_note":
            self.ctx.review.restore_buried(step.buried_before or {})
        else:
            self.ctx.review.bury(step.card_id, days=0)  # buried until today = not buried
        self.app.call_from_thread(self.undone, step, message)

    async def undone(self, step: Step, message: str | None) -> None:
        assert self.session is not None
        self.session.undo()
        self.requeued.discard(step.card_id)
        what = {
            "answer": f"grade {step.grade}",
            "skip": "skip",
            "suspend": "suspend",
            "bury_note": "bury note",
        }[step.kind]
        self.notify(f"undone: {what}", timeout=2, markup=False)
        if message:
            self.notify(message, severity="warning", markup=False)
        await self.show_current()

    def action_skip(self) -> None:
        assert self.session is not None
        item = self.session.current()
        if item is None:
            return
        self.set_state("saving")
        self.bury(item.card_id)

    @work(thread=True, exclusive=True, group="review")
    def bury(self, card_id: int) -> None:
        self.ctx.review.bury(card_id)
        self.app.call_from_thread(self.buried, card_id)

    async def buried(self, card_id: int) -> None:
        assert self.session is not None
        self.session.skip()
        self.done.append(Step("skip", card_id))
        self.notify("skipped until tomorrow", timeout=2, markup=False)
        await self.show_current()

    def action_suspend(self) -> None:
        assert self.session is not None
        item = self.session.current()
        if item is None:
            return
        self.set_state("saving")
        self.suspend(item.card_id)

    @work(thread=True, exclusive=True, group="review")
    def suspend(self, card_id: int) -> None:
        self.ctx.review.set_suspended(card_id, True)
        self.app.call_from_thread(self.suspended, card_id)

    async def suspended(self, card_id: int) -> None:
        assert self.session is not None
        self.session.skip()
        self.done.append(Step("suspend", card_id))
        self.notify("suspended · u to undo", timeout=3, markup=False)
        await self.show_current()

    def action_bury_note(self) -> None:
        assert self.session is not None
        item, view = self.session.current(), self.view
        if item is None or view is None or view.note_id is None:
            return
        self.set_state("saving")
        self.bury_whole_note(item.card_id, view.note_id)

    @work(thread=True, exclusive=True, group="review")
    def bury_whole_note(self, card_id: int, note_id: int) -> None:
        assert self.session is not None
        # The session reads its queue lazily: read the rest before the note's cards are
        # buried in the collection, so skip_note still finds (and counts) all of them.
        self.session.read_all()
        before = self.ctx.review.bury_note(note_id)
        self.app.call_from_thread(self.note_buried, card_id, note_id, before)

    async def note_buried(self, card_id: int, note_id: int, before: dict[int, date | None]) -> None:
        assert self.session is not None
        dropped = self.session.skip_note(note_id)
        self.done.append(Step("bury_note", card_id, buried_before=before))
        self.notify(
            f"note buried until tomorrow ({plural(dropped, 'card')} of this session) · u to undo",
            timeout=3,
            markup=False,
        )
        await self.show_current()

    def action_leave(self) -> None:
        """Escape: leave at once when nothing would be lost, else ask with a second escape."""
        if not self.in_session or self.leave_armed or not self.session_started:
            self.app.pop_screen()
            return
        self.leave_armed = True
        self.notify(
            "escape again to end this session (answers so far are saved)",
            timeout=3,
            markup=False,
        )

    @property
    def session_started(self) -> bool:
        return bool(self.done)

    def action_edit(self) -> None:
        view = self.view
        if view is None or view.note_path is None:
            return
        if not self.ctx.editor:
            self.notify(
                "Set $EDITOR (or $VISUAL) to edit notes from here.",
                severity="warning",
                markup=False,
            )
            return
        path = self.ctx.coll.notes_dir / view.note_path
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(self.ctx.editor), str(path)], check=False)
        except Exception as exc:  # no terminal to hand over (e.g. headless), or no editor
            self.notify(f"could not open the editor: {exc}", severity="error", markup=False)
            return
        self.set_state("loading")
        self.reimport(view.id)

    @work(thread=True, exclusive=True, group="review")
    def reimport(self, card_id: int) -> None:
        from studyapp.services.importer import import_notes

        report = import_notes(self.ctx.coll)
        self.app.call_from_thread(self.reimported, [p.line() for p in report.rejected])
        self.app.call_from_thread(self.fetch_card, card_id, self.seed_source())

    def reimported(self, problems: list[str]) -> None:
        for line in problems:
            self.notify(line, title="note not imported", severity="error", markup=False)

    def action_toggle_details(self) -> None:
        """Open the card's note at the card's section (a screen: escape comes back here)."""
        from studyapp.tui.screens.note_view import NoteViewScreen

        view, note_id = self.view, self.details_note
        if view is None or note_id is None:
            return
        heading_path = [str(h) for h in view.payload.get("heading_path", ())]
        self.app.push_screen(NoteViewScreen(self.ctx, note_id, heading_path))
