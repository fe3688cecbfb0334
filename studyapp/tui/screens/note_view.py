"""``d`` in a review: the card's note, opened at the card's own section.

A screen of its own (not a box inside the card area) so there is one scrollbar and
the title line stays put while the text scrolls.  The note is rendered one
top-level section at a time (the Markdown widget is slow on long notes): the one
holding the card's heading first, ``[``/``]`` for the previous/next.  Deeper
headings (a table card's H3) are scrolled to once the section is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from studyapp.services.search import NoteDetail, note_detail
from studyapp.tui.context import AppContext

__all__ = ["NoteViewScreen", "section_index"]


def section_index(sections: Sequence[str], heading_path: Sequence[str]) -> int:
    """The chunk holding the deepest heading of ``heading_path`` that a chunk starts or holds."""
    for heading in reversed(heading_path[1:]):
        for i, chunk in enumerate(sections):
            for line in chunk.splitlines():
                if line.lstrip("#").strip() == heading.strip() and line.startswith("#"):
                    return i
    return 0


class NoteViewScreen(Screen[None]):
    """One note, a section at a time, with a title line that does not scroll."""

    CSS_PATH = "note_view.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,d", "close", "close", id="note_view.close"),
        Binding(
            "left_square_bracket",
            "section(-1)",
            "prev section",
            key_display="[",
            id="note_view.prev",
        ),
        Binding(
            "right_square_bracket",
            "section(1)",
            "next section",
            key_display="]",
            id="note_view.next",
        ),
    ]

    def __init__(self, ctx: AppContext, note_id: int, heading_path: Sequence[str] = ()) -> None:
        super().__init__()
        self.ctx = ctx
        self.note_id = note_id
        self.heading_path = tuple(heading_path)
        self.detail: NoteDetail | None = None
        self.index = 0

    def compose(self) -> ComposeResult:
        yield Static(Content("loading the note…"), id="note-view-title")
        with VerticalScroll(id="note-view-body"):
            yield Markdown(id="note-view-md")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="note_view")
    def load(self) -> None:
        try:
            detail = note_detail(self.ctx.coll, self.note_id)
        except (KeyError, OSError) as exc:
            self.app.call_from_thread(
                self.notify, f"cannot open the note: {exc}", severity="error", markup=False
            )
            return
        self.app.call_from_thread(self.loaded, detail)

    async def loaded(self, detail: NoteDetail) -> None:
        self.detail = detail
        await self.show(section_index(detail.sections, self.heading_path), scroll_to=True)

    async def show(self, index: int, *, scroll_to: bool = False) -> None:
        assert self.detail is not None
        self.index = index
        n = len(self.detail.sections)
        title = Content.assemble(
            (self.detail.title, "bold"),
            (f"  ·  {self.detail.path}  ·  section {index + 1}/{n}", "$text-muted"),
        )
        self.query_one("#note-view-title", Static).update(title)
        markdown = self.query_one("#note-view-md", Markdown)
        await markdown.update(self.detail.sections[index])
        body = self.query_one("#note-view-body", VerticalScroll)
        body.scroll_home(animate=False)
        if scroll_to and len(self.heading_path) > 2:
            from textual._slug import TrackedSlugs

            anchor = TrackedSlugs().slug(self.heading_path[-1])
            self.call_after_refresh(markdown.goto_anchor, anchor)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "section":
            if self.detail is None:
                return False
            step = int(parameters[0])  # type: ignore[call-overload]
            return 0 <= self.index + step < len(self.detail.sections)
        return True

    async def action_section(self, step: int) -> None:
        await self.show(self.index + step)

    def action_close(self) -> None:
        self.dismiss(None)
