"""The Textual app: routing between screens, the start-up import, themes.

``StudyApp(ctx)`` is the app factory (tests build it over a temporary collection);
``run_app(cli_ctx)`` is what ``studyapp`` with no subcommand runs.  Screens other
than the dashboard are imported lazily by module path, so a screen that is missing
or broken shows a notification instead of taking the app down.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, CSSPathType, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from studyapp.tui.context import AppContext
from studyapp.tui.screens.dashboard import DashboardScreen

if TYPE_CHECKING:
    from studyapp.cli.context import CliContext
    from studyapp.services.importer import ImportReport

__all__ = ["SCREENS_BY_NAME", "StudyApp", "run_app"]

DARK, LIGHT = "textual-dark", "textual-light"

#: name → (module, class, title, help): the screens reachable by key and palette.
SCREENS_BY_NAME: dict[str, tuple[str, str, str, str]] = {
    "review": (
        "studyapp.tui.screens.review",
        "ReviewScreen",
        "Review due cards",
        "today's review session (r)",
    ),
    "quiz": (
        "studyapp.tui.screens.quiz",
        "QuizScreen",
        "Cram quiz",
        "practise without touching the schedule (q)",
    ),
    "calculator": (
        "studyapp.tui.screens.calculator",
        "CalculatorScreen",
        "Sizing calculator",
        "memory, GPUs, tokens/s, cost (c)",
    ),
    "notes": (
        "studyapp.tui.screens.notes_browser",
        "NotesScreen",
        "Notes browser",
        "notes, their cards and mastery (n)",
    ),
    "stats": (
        "studyapp.tui.screens.stats",
        "StatsScreen",
        "Statistics",
        "retention, intervals, hardest cards (t)",
    ),
    "import": (
        "studyapp.tui.screens.import_screen",
        "ImportScreen",
        "Import notes",
        "re-read the notes folder (i)",
    ),
}


def _system_seed() -> int:
    """Fresh options and numbers at every review (the seed is logged for replay).

    Defined here rather than imported from the review screen, so start-up does not
    load the review screen (and the sizing engine behind it) before it is needed.
    """
    import random

    return random.SystemRandom().randrange(1, 2**31)


class StudyApp(App[int]):
    """studyapp's TUI over one collection (see :class:`AppContext`)."""

    TITLE = "studyapp"
    #: The dashboard is the default screen, whose own CSS_PATH Textual 8.2 does not load
    #: (only pushed screens get theirs), so the app loads it.
    CSS_PATH: ClassVar[CSSPathType] = ["app.tcss", "screens/dashboard.tcss"]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "review", "review", show=False, id="app.review"),
        Binding("q", "quiz", "cram quiz", show=False, id="app.quiz"),
        Binding("c", "calculator", "calculator", show=False, id="app.calculator"),
        Binding("n", "notes", "notes browser", show=False, id="app.notes"),
        Binding("t", "stats", "statistics", show=False, id="app.stats"),
        Binding("i", "import_notes", "import notes", show=False, id="app.import"),
        Binding("question_mark", "help", "help", key_display="?", id="app.help"),
        Binding("escape", "back", "back", id="app.back"),
        Binding("ctrl+t", "toggle_theme", "light/dark", show=False, id="app.theme"),
        Binding("ctrl+q", "quit", "quit", priority=True, id="app.quit"),
    ]

    def __init__(
        self,
        ctx: AppContext,
        *,
        startup_import: bool = True,
        seed_source: Callable[[], int] = _system_seed,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.startup_import = startup_import
        self._startup_owed = 0  # owed write-backs the start-up finished (0: none)
        self.seed_source = seed_source
        self.clock = clock
        self.study_day: date | None = ctx.coll.today_override

    # -- screens ------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return DashboardScreen(self.ctx)

    def on_mount(self) -> None:
        self.theme = DARK
        self.show_study_day()
        if self.startup_import:
            self.startup()

    def show_study_day(self) -> None:
        self.sub_title = f"study day {self.study_day.isoformat()}" if self.study_day else ""

    @property
    def dashboard(self) -> DashboardScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen):
                return screen
        return None

    def refresh_dashboard(self) -> None:
        if self.dashboard is not None:
            self.dashboard.reload()

    def make_screen(self, name: str) -> Screen[Any] | None:
        module_name, class_name, title, _help = SCREENS_BY_NAME[name]
        try:
            screen_class = getattr(importlib.import_module(module_name), class_name)
        except Exception as exc:  # a screen still being written must not crash the app
            self.notify(f"{title} is not available: {exc}", severity="warning", markup=False)
            return None
        if name == "review":
            return screen_class(self.ctx, seed_source=self.seed_source, clock=self.clock)  # type: ignore[no-any-return]
        return screen_class(self.ctx)  # type: ignore[no-any-return]

    def open_screen(self, name: str) -> None:
        """Open a screen on top of the dashboard (the stack never grows deeper than two)."""
        module_name, class_name, _title, _help = SCREENS_BY_NAME[name]
        top = self.screen
        if type(top).__name__ == class_name and type(top).__module__ == module_name:
            return
        screen = self.make_screen(name)
        if screen is None:
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)

    def action_review(self) -> None:
        self.open_screen("review")

    def action_quiz(self) -> None:
        self.open_screen("quiz")

    def action_calculator(self) -> None:
        self.open_screen("calculator")

    def action_notes(self) -> None:
        self.open_screen("notes")

    def action_stats(self) -> None:
        self.open_screen("stats")

    def action_import_notes(self) -> None:
        self.open_screen("import")

    def action_help(self) -> None:
        from studyapp.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for name, (_module, _cls, title, help_text) in SCREENS_BY_NAME.items():
            yield SystemCommand(title, help_text, lambda name=name: self.open_screen(name))  # type: ignore[misc]
        yield SystemCommand(
            "Dashboard", "back to today's overview (escape)", self.back_to_dashboard
        )
        yield SystemCommand("Help", "all keys and grade meanings (?)", self.action_help)
        yield SystemCommand(
            "Toggle light/dark",
            "switch between the light and dark theme (ctrl+t)",
            self.action_toggle_theme,
        )
        yield from super().get_system_commands(screen)

    def back_to_dashboard(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    # -- start-up: finish owed write-backs, then the incremental import ----------------------
    @work(thread=True, exclusive=True, group="startup")
    def startup(self) -> None:
        from studyapp.services.importer import import_notes
        from studyapp.services.writeback import finish_pending_counted

        coll = self.ctx.coll
        day = coll.today()
        self.call_from_thread(self.set_study_day, day)
        owed, messages = finish_pending_counted(coll)
        self._startup_owed = owed
        for message in messages:
            self.call_from_thread(
                self.notify, message, title="write-back", severity="warning", markup=False
            )

        def progress(done: int, total: int) -> None:
            self.call_from_thread(self.import_progress, done, total)

        # Let the dashboard show the numbers already in the database first; the
        # re-import then refreshes them (at 10,000 notes, running both at once made
        # each twice as slow).
        dashboard = self.dashboard
        if dashboard is not None:
            dashboard.first_load.wait(timeout=5)

        try:
            report = import_notes(coll, progress=progress)
        except Exception as exc:
            self.call_from_thread(self.startup_failed, str(exc))
            return
        self.call_from_thread(self.startup_done, report)

    def set_study_day(self, day: date) -> None:
        self.study_day = day
        self.show_study_day()

    def import_progress(self, done: int, total: int) -> None:
        if self.dashboard is not None:
            self.dashboard.show_import_progress(done, total)

    def startup_failed(self, message: str) -> None:
        if self.dashboard is not None:
            self.dashboard.hide_import_progress()
        self.notify(f"import failed: {message}", severity="error", markup=False)

    def startup_done(self, report: ImportReport) -> None:
        if self.dashboard is not None:
            self.dashboard.hide_import_progress()
        changed = report.imported or report.updated or report.missing or report.moved
        if changed or report.rejected or self._startup_owed:
            # Nothing written and nothing re-imported: the numbers on screen are already
            # the database's (at 10k notes a reload is ~0.2 s of the start-up).
            self.refresh_dashboard()
        if report.rejected:
            n = len(report.rejected)
            self.notify(
                f"{n} note{'s' if n != 1 else ''} could not be imported — p on the dashboard lists them",
                title="import",
                severity="warning",
                markup=False,
            )


def run_app(cli_ctx: CliContext) -> int:
    """Open the collection as the writer and run the TUI; 2 when another writer holds it."""
    from studyapp.services.lock import CollectionLocked

    coll = cli_ctx.collection()
    try:
        coll.acquire_writer()
    except CollectionLocked as exc:
        print(f"studyapp: {exc}", file=sys.stderr)
        return 2
    StudyApp(AppContext.from_collection(coll)).run()
    return 0
