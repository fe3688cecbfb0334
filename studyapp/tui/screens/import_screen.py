"""Re-import the notes folder (``i``) and list what was rejected; the problems modal (``p``)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static

from studyapp.core.wording import plural
from studyapp.tui.context import AppContext

__all__ = ["ImportScreen", "ProblemsScreen", "fill_problems"]


def fill_problems(table: DataTable[Any], problems: list[tuple[str, str, str]]) -> None:
    """Rows of ``(path, severity, error)``; every cell is ``Text``, never markup."""
    table.clear(columns=True)
    table.add_columns(Text("path"), Text("kind"), Text("problem"))
    for path, severity, error in problems:
        style = "bold red" if severity == "error" else "yellow"
        table.add_row(Text(path), Text(severity, style=style), Text(error))


class ImportScreen(Screen[None]):
    """Runs the incremental import with a progress bar, then shows the report."""

    CSS_PATH = "import_screen.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "again", "import again", id="import.again")
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="import-box"):
            yield Static(Content(f"notes folder: {self.ctx.coll.notes_dir}"), id="import-folder")
            yield ProgressBar(id="import-bar", show_eta=False)
            yield Static(Content("starting…"), id="import-summary")
        yield DataTable(id="import-problems", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#import-box").border_title = "Import notes"
        self.query_one("#import-problems").display = False
        self.action_again()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "again":
            return not self.running
        return True

    def action_again(self) -> None:
        self.running = True
        self.refresh_bindings()
        self.query_one("#import-summary", Static).update(Content("importing…"))
        self.run_import()

    @work(thread=True, exclusive=True, group="import")
    def run_import(self) -> None:
        from studyapp.services.importer import import_notes

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self.show_progress, done, total)

        try:
            report = import_notes(self.ctx.coll, progress=progress)
        except Exception as exc:
            self.app.call_from_thread(self.show_failure, str(exc))
            return
        rows = [(p.path, "error", p.error) for p in report.rejected]
        rows += [(p.path, "warning", p.error) for p in report.warnings]
        self.app.call_from_thread(self.show_report, report.summary(), rows)

    def show_progress(self, done: int, total: int) -> None:
        self.query_one("#import-bar", ProgressBar).update(total=max(total, 1), progress=done)
        self.query_one("#import-summary", Static).update(Content(f"{done}/{total} files"))

    def show_failure(self, message: str) -> None:
        self.running = False
        self.refresh_bindings()
        self.query_one("#import-summary", Static).update(Content(f"import failed: {message}"))

    def show_report(self, summary: str, rows: list[tuple[str, str, str]]) -> None:
        self.running = False
        self.refresh_bindings()
        bar = self.query_one("#import-bar", ProgressBar)
        bar.update(total=max(bar.total or 1, 1), progress=max(bar.total or 1, 1))
        rejected = sum(1 for r in rows if r[1] == "error")
        # The summary already counts the rejected notes: add the warnings, once.
        warnings = len(rows) - rejected
        text = summary if not rows else f"{summary}, {plural(warnings, 'warning')} · listed below"
        self.query_one("#import-summary", Static).update(Content(text))
        table = self.query_one("#import-problems", DataTable)
        table.display = bool(rows)
        fill_problems(table, rows)
        refresh = getattr(self.app, "refresh_dashboard", None)
        if refresh is not None:
            refresh()


class ProblemsScreen(ModalScreen[None]):
    """The import problems stored by the last import, ``path: error`` per row."""

    CSS_PATH = "import_screen.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,p", "dismiss", "close", id="problems.close")
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        with Vertical(id="problems-box"):
            yield DataTable(id="problems-table", cursor_type="row", zebra_stripes=True)
            yield Static(Content("escape — close · i — import again"), id="problems-hint")

    def on_mount(self) -> None:
        self.query_one("#problems-box").border_title = "Import problems"
        self.load()

    @work(thread=True, exclusive=True, group="problems")
    def load(self) -> None:
        from studyapp.services.queries import import_problems

        rows = [(p["path"], p["severity"], p["error"]) for p in import_problems(self.ctx.coll)]
        self.app.call_from_thread(self.show, rows)

    def show(self, rows: list[tuple[str, str, str]]) -> None:
        table = self.query_one(DataTable)
        fill_problems(table, rows)
        table.display = bool(rows)
        self.query_one("#problems-box").border_subtitle = plural(len(rows), "problem")
        if not rows:
            self.query_one("#problems-hint", Static).update(
                Content("No import problems: every note was read. 没有导入问题。\n\nescape — close")
            )
