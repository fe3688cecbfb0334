"""The notes browser: every note by folder and by tag, an incremental search, the note
itself (rendered a section at a time) and its cards with their schedule.

``space`` suspends or resumes the highlighted card, ``R`` forgets a note's progress
after a confirmation.  All reads and writes run in thread workers; note text only ever
reaches Textual as ``Text``/``Content`` (never markup) or as Markdown source.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Markdown, Static, Tree
from textual.widgets.tree import TreeNode

from studyapp.core.wording import plural
from studyapp.services import queries
from studyapp.services.queries import NoteRow
from studyapp.services.search import NoteDetail, note_detail, search_note_ids
from studyapp.tui.context import AppContext

__all__ = ["ConfirmScreen", "NotesScreen"]

#: Wait this long after the last keystroke before searching (typing CJK through an IME sends bursts).
SEARCH_DEBOUNCE_S = 0.2


@dataclass(frozen=True)
class NoteLoaded:
    """What the detail worker hands back to the UI thread."""

    detail: NoteDetail
    cards: list[dict[str, Any]]


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; ``y``/``n`` or the buttons answer, escape says no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen #confirm-box {
        width: 64; max-width: 95%; height: auto;
        border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmScreen #confirm-title { text-style: bold; color: $warning; }
    ConfirmScreen #confirm-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(Content(self.title_text), id="confirm-title")
            yield Static(Content(self.message), id="confirm-message")
            with Horizontal(id="confirm-buttons"):
                yield Button("No (n)", id="no", variant="default")
                yield Button("Yes (y)", id="yes", variant="warning")

    @on(Button.Pressed)
    def button_answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class NotesScreen(Screen[None]):
    """Browse notes by folder and tag, search them, inspect and manage their cards."""

    CSS_PATH = "notes_browser.tcss"
    TITLE = "Notes"
    SUB_TITLE = "笔记"
    AUTO_FOCUS = "#note-tree"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="notes.back"),
        Binding("slash", "focus_search", "Search", id="notes.search"),
        Binding("space", "toggle_suspend", "Suspend/resume", id="notes.suspend"),
        Binding("R", "reset_note", "Reset note", id="notes.reset"),
        Binding("m", "more", "More text", id="notes.more"),
        Binding(
            "w",
            "toggle_wide",
            "Wide list",
            tooltip="widen the tree for long titles",
            id="notes.wide",
        ),
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[NoteRow] = []
        self.matches: set[int] | None = None  # None: no search active
        self.current: NoteDetail | None = None
        self.shown_sections = 0
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="nb"):
            with Vertical(id="nb-side"):
                yield Input(placeholder="Search titles and text… 搜索", id="search")
                tree: Tree[int | None] = Tree(Text("Notes"), id="note-tree")
                tree.show_root = False
                yield tree
            with Vertical(id="nb-main"):
                yield Static(
                    Content.styled("Select a note on the left.", "$text-muted"), id="note-head"
                )
                with VerticalScroll(id="note-scroll"):
                    yield Markdown(id="note-md")
                    yield Static(id="note-more")
                yield Label("Cards", id="cards-title", classes="section-title")
                table: DataTable[Text] = DataTable(
                    id="cards", cursor_type="row", zebra_stripes=True
                )
                yield table
        yield Footer()

    #: Fixed widths of the schedule columns; the card title gets the rest of the row.
    CARD_COLUMNS: tuple[tuple[str, str, int], ...] = (
        ("kind", "kind", 5),
        ("card", "title", 0),
        ("due", "due", 10),
        ("ivl", "interval", 4),
        ("ease", "ease", 4),
        ("reps", "reps", 4),
        ("lap", "lapses", 3),
        ("", "suspended", 4),
    )

    def on_mount(self) -> None:
        self._cards: list[dict[str, Any]] = []
        self._build_card_columns()
        self.load_notes()

    def _build_card_columns(self) -> None:
        table = self.query_one("#cards", DataTable)
        table.clear(columns=True)
        fixed = sum(w for _l, _k, w in self.CARD_COLUMNS)
        padding = 2 * table.cell_padding * len(self.CARD_COLUMNS) + 2
        width = self.query_one("#nb-main").content_region.width or self.size.width // 2
        title_w = max(10, width - fixed - padding)
        for label, key, width in self.CARD_COLUMNS:
            table.add_column(Text(label, style="bold"), key=key, width=width or title_w)

    def on_resize(self) -> None:
        self.call_after_refresh(self._relayout_cards)

    def _relayout_cards(self) -> None:
        self._build_card_columns()
        self._fill_cards(self._cards)

    # -- the note list and the tree ------------------------------------------------------
    @work(thread=True, exclusive=True, group="notes-list")
    def load_notes(self) -> None:
        rows = queries.notes(self.ctx.coll)
        self.app.call_from_thread(self._notes_loaded, rows)

    def _notes_loaded(self, rows: list[NoteRow]) -> None:
        self.rows = rows
        self.rebuild_tree()

    def rebuild_tree(self) -> None:
        tree: Tree[int | None] = self.query_one("#note-tree", Tree)
        tree.clear()
        visible = [r for r in self.rows if self.matches is None or r.id in self.matches]
        searching = self.matches is not None
        folders = tree.root.add(Text(f"Folders ({len(visible)})", style="bold"), expand=True)
        tags = tree.root.add(Text("Tags", style="bold"), expand=searching)
        folder_nodes: dict[str, TreeNode[int | None]] = {"": folders}
        for row in sorted(visible, key=lambda r: (r.folder, r.title)):
            parent = self._branch(folder_nodes, row.folder, expand=True)
            parent.add_leaf(self._note_label(row), data=row.id)
        by_tag: dict[str, list[NoteRow]] = defaultdict(list)
        for row in visible:
            for tag in row.tags:
                by_tag[tag].append(row)
        tag_nodes: dict[str, TreeNode[int | None]] = {"": tags}
        for tag in sorted(by_tag):
            parent = self._branch(tag_nodes, tag, expand=searching)
            for row in sorted(by_tag[tag], key=lambda r: r.title):
                parent.add_leaf(self._note_label(row), data=row.id)
        if searching and not visible:
            folders.add_leaf(Text("no match / 无结果", style="italic dim"))

    @staticmethod
    def _branch(
        nodes: dict[str, TreeNode[int | None]], path: str, *, expand: bool
    ) -> TreeNode[int | None]:
        """The node of ``a/b/c`` (created with its parents as needed)."""
        if path in nodes:
            return nodes[path]
        parent_path, _, name = path.rpartition("/")
        parent = NotesScreen._branch(nodes, parent_path, expand=expand)
        node = parent.add(Text(name or "/"), expand=expand)
        nodes[path] = node
        return node

    @staticmethod
    def _note_label(row: NoteRow) -> Text:
        label = Text(row.title or row.path)
        if row.problem:
            label.append(" ⚠", style="yellow")
        label.append(f"  {row.cards}", style="dim")
        return label

    # -- search ----------------------------------------------------------------------
    @on(Input.Changed, "#search")
    def schedule_search(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        query = event.value
        self._debounce = self.set_timer(SEARCH_DEBOUNCE_S, lambda: self.run_search(query))

    @on(Input.Submitted, "#search")
    def search_to_tree(self) -> None:
        self.query_one("#note-tree", Tree).focus()

    @work(thread=True, exclusive=True, group="search")
    def run_search(self, query: str) -> None:
        matches = search_note_ids(self.ctx.coll, query) if query.strip() else None
        self.app.call_from_thread(self._search_done, matches)

    def _search_done(self, matches: set[int] | None) -> None:
        self.matches = matches
        self.rebuild_tree()

    # -- the selected note ------------------------------------------------------------
    @on(Tree.NodeHighlighted, "#note-tree")
    @on(Tree.NodeSelected, "#note-tree")
    def open_note(
        self, event: Tree.NodeHighlighted[int | None] | Tree.NodeSelected[int | None]
    ) -> None:
        note_id = event.node.data
        if note_id is not None and (self.current is None or self.current.id != note_id):
            self.load_note(note_id)

    @work(thread=True, exclusive=True, group="note")
    def load_note(self, note_id: int) -> None:
        detail = note_detail(self.ctx.coll, note_id)
        cards = queries.card_rows(self.ctx.coll, note=detail.path)
        self.app.call_from_thread(self._note_loaded, NoteLoaded(detail, cards))

    async def _note_loaded(self, loaded: NoteLoaded) -> None:
        detail = loaded.detail
        self.current = detail
        head = Content.assemble(
            (detail.title or detail.path, "bold $text-primary"),
            "\n",
            (detail.path, "$text-muted"),
            ("  ·  ", "$text-muted"),
            (f"{detail.difficulty}", "$text-accent"),
            ("  ·  ", "$text-muted"),
            f"mastery {detail.mastery:.0%}",
            ("  ·  ", "$text-muted"),
            # The note file's own schedule lines (a reset does not rewrite them; the cards
            # below are the database's schedule), so say where the numbers come from.
            ("file: ", "$text-muted"),
            f"reviews {detail.review_count} · next {detail.next_review or '—'}",
        )
        if detail.tags:
            tags = "  ".join(f"#{t}" for t in detail.tags)
            head = Content.assemble(head, "\n", (tags, "$text-secondary"))
        self.query_one("#note-head", Static).update(head)
        self.shown_sections = 1
        await self.query_one("#note-md", Markdown).update(detail.sections[0])
        self.query_one("#note-scroll", VerticalScroll).scroll_home(animate=False)
        self._show_more_hint()
        self._fill_cards(loaded.cards)

    def _show_more_hint(self) -> None:
        detail = self.current
        hint = self.query_one("#note-more", Static)
        if detail is None or self.shown_sections >= len(detail.sections):
            hint.update("")
            hint.display = False
            return
        left = len(detail.sections) - self.shown_sections
        hint.display = True
        hint.update(
            Content.styled(f"… {plural(left, 'more section')}: press m", "$text-muted italic")
        )

    async def action_more(self) -> None:
        """Render the next section of the note below the ones shown."""
        detail = self.current
        if detail is None or self.shown_sections >= len(detail.sections):
            return
        await self.query_one("#note-md", Markdown).append(
            "\n\n" + detail.sections[self.shown_sections]
        )
        self.shown_sections += 1
        self._show_more_hint()

    def _fill_cards(self, cards: list[dict[str, Any]]) -> None:
        self._cards = cards
        table = self.query_one("#cards", DataTable)
        cursor = table.cursor_row
        table.clear()
        for card in cards:
            suspended = bool(card["suspended"])
            table.add_row(
                Text(card["kind"], style="bold"),
                Text(card["title"]),
                Text(card["due"] or "new", style="dim" if card["due"] is None else ""),
                Text(f"{card['interval']}d", justify="right"),
                Text(f"{card['ease']:.2f}", justify="right"),
                Text(str(card["reps"]), justify="right"),
                Text(str(card["lapses"]), justify="right", style="red" if card["lapses"] else ""),
                Text("susp", style="bold yellow") if suspended else Text("●", style="green"),
                key=str(card["card_id"]),
            )
        self.query_one("#cards-title", Label).update(Content(f"Cards ({len(cards)})"))
        if cards:
            table.move_cursor(row=min(cursor, len(cards) - 1))

    @on(DataTable.RowHighlighted, "#cards")
    def show_card_title(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted card's whole title: the column cuts it, and cells of one table
        row ("词级 logit — …") looked alike at 80 columns."""
        key = str(event.row_key.value)
        card = next((c for c in self._cards if str(c["card_id"]) == key), None)
        label = f"Cards ({len(self._cards)})"
        if card is not None:
            label += f" · {card['kind']}: {card['title']}"
        self.query_one("#cards-title", Label).update(Content(label))

    # -- actions -----------------------------------------------------------------------
    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_cards(self) -> None:
        self.query_one("#cards", DataTable).focus()

    def _selected_card(self) -> tuple[int, bool] | None:
        table = self.query_one("#cards", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key
        state = table.get_cell(key, "suspended")
        return int(str(key.value)), str(state) == "susp"

    def action_toggle_wide(self) -> None:
        self.query_one("#nb-side").toggle_class("-wide")
        self.call_after_refresh(self._relayout_cards)

    def action_toggle_suspend(self) -> None:
        table = self.query_one("#cards", DataTable)
        if self.focused is not table:
            # Acting on a row the user is not looking at is how the wrong card got
            # suspended: take them to the list first.
            table.focus()
            self.notify(
                Content("Pick a card in the list (its row is highlighted), then space."),
                timeout=3,
            )
            return
        selected = self._selected_card()
        if selected is None or self.current is None:
            self.notify("No card selected.", severity="warning")
            return
        card_id, suspended = selected
        self.set_suspended(card_id, not suspended, self.current.id)

    @work(thread=True, group="write")
    def set_suspended(self, card_id: int, suspended: bool, note_id: int) -> None:
        self.ctx.review.set_suspended(card_id, suspended)
        word = "Suspended" if suspended else "Resumed"
        self.app.call_from_thread(self.notify, Content(f"{word} card {card_id}."))
        self.app.call_from_thread(self._reload_current, note_id)

    def _reload_current(self, note_id: int) -> None:
        self.load_note(note_id)

    def action_reset_note(self) -> None:
        detail = self.current
        if detail is None:
            self.notify("Select a note first.", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.reset_note(detail.id)

        self.app.push_screen(
            ConfirmScreen(
                "Reset progress? 重置进度?",
                f"Forget the schedule of every card of “{detail.title}”.\n"
                "The review history is kept; the note file's schedule lines are not changed.",
            ),
            confirmed,
        )

    @work(thread=True, group="write")
    def reset_note(self, note_id: int) -> None:
        count = self.ctx.review.reset_note(note_id)
        self.app.call_from_thread(
            self.notify,
            Content(
                f"Reset {plural(count, 'card')}: they are new again. The note file keeps its"
                " schedule lines until the note card's next review writes them."
            ),
        )
        self.app.call_from_thread(self._reload_current, note_id)
