"""The Textual app: routing between screens, the start-up import, themes.

``StudyApp(ctx)`` is the app factory (tests build it over a temporary collection);
``run_app(cli_ctx)`` is what ``studyapp`` with no subcommand runs.  Screens other
than the dashboard are imported lazily by module path, so a screen that is missing
or broken shows a notification instead of taking the app down.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, CSSPathType, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme

from studyapp.core.wording import plural
from studyapp.tui.context import AppContext
from studyapp.tui.screens.dashboard import DashboardScreen

if TYPE_CHECKING:
    from studyapp.cli.context import CliContext
    from studyapp.services.custom_study import CustomStudy
    from studyapp.services.importer import ImportReport
    from studyapp.services.watch import Watcher

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
    "scheduler": (  # issue 14
        "studyapp.tui.screens.scheduler",
        "SchedulerScreen",
        "Scheduler and exams",
        "SM-2 or FSRS, retention, optimize, interview dates (s on the dashboard)",
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
        self._startup_merged = False  # the start-up merged another device's events
        self.seed_source = seed_source
        self.clock = clock
        self.study_day: date | None = ctx.coll.today_override
        self.watch_stop = threading.Event()  # ends the optional notes watcher

    # -- screens ------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return DashboardScreen(self.ctx)

    def on_mount(self) -> None:
        saved = self.ctx.coll.settings.theme
        self.theme = saved if saved in self.available_themes else DARK
        # Subscribed after the first assignment: only the user's changes are saved.
        self.theme_changed_signal.subscribe(self, self.remember_theme)
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
        """Open a screen on top of the dashboard, or on top of a review still in progress.

        A review session with cards left stays underneath (``escape`` comes back to
        it, at the same card); otherwise the stack never grows deeper than two.
        Asking for the review again returns to that session instead of starting one.
        """
        module_name, class_name, _title, _help = SCREENS_BY_NAME[name]
        top = self.screen
        same = type(top).__name__ == class_name and type(top).__module__ == module_name
        if same and not getattr(top, "can_restart", False):
            return
        keep = 1
        for depth, screen in enumerate(self.screen_stack):
            if getattr(screen, "in_session", False):
                keep = depth + 1
                if type(screen).__name__ == class_name:  # back to the running session
                    while len(self.screen_stack) > keep:
                        self.pop_screen()
                    return
        opened = self.make_screen(name)
        if opened is None:
            return
        while len(self.screen_stack) > keep:
            self.pop_screen()
        if keep > 1:
            self.notify("review kept: escape comes back to it", timeout=3, markup=False)
        self.push_screen(opened)

    def action_review(self) -> None:
        self.open_screen("review")

    def action_custom_study(self) -> None:
        """Study more today: a form, then the review it asks for."""
        from studyapp.tui.screens.custom_study import CustomStudyScreen

        if not isinstance(self.screen, CustomStudyScreen):
            self.push_screen(CustomStudyScreen(), self.start_custom_study)

    def start_custom_study(self, study: CustomStudy | None) -> None:
        if study is None:
            return
        if study.kind == "new":
            self.add_new_cards(study.count)
            return
        from studyapp.tui.screens.review import ReviewScreen

        self.back_to_dashboard()
        self.push_screen(
            ReviewScreen(self.ctx, custom=study, seed_source=self.seed_source, clock=self.clock)
        )

    @work(thread=True, exclusive=True, group="settings")
    def add_new_cards(self, count: int) -> None:
        from studyapp.services.custom_study import add_new_today

        total = add_new_today(self.ctx.coll, count)
        self.call_from_thread(self.new_cards_added, count, total)

    def new_cards_added(self, count: int, total: int) -> None:
        self.notify(
            f"today's new-card limit +{count} (+{total} in all, today only)",
            timeout=4,
            markup=False,
        )
        self.refresh_dashboard()
        self.open_screen("review")

    def action_quiz(self) -> None:
        self.open_screen("quiz")

    def action_calculator(self) -> None:
        self.open_screen("calculator")

    def action_notes(self) -> None:
        self.open_screen("notes")

    def action_stats(self) -> None:
        self.open_screen("stats")

    def action_scheduler(self) -> None:
        self.open_screen("scheduler")

    def action_import_notes(self) -> None:
        self.open_screen("import")

    def action_help(self) -> None:
        from studyapp.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "esc back" on the dashboard is a footer label that does nothing: hide it there.
        if action == "back":
            return len(self.screen_stack) > 1
        return True

    def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def remember_theme(self, theme: Theme) -> None:
        """Keep the theme across restarts (ctrl+t and the palette's theme picker)."""
        if self.ctx.coll.settings.theme != theme.name:
            self.save_theme(theme.name)

    @work(thread=True, exclusive=True, group="settings")
    def save_theme(self, name: str) -> None:
        from dataclasses import replace

        coll = self.ctx.coll
        coll.save_settings(replace(coll.settings, theme=name))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for name, (_module, _cls, title, help_text) in SCREENS_BY_NAME.items():
            yield SystemCommand(title, help_text, lambda name=name: self.open_screen(name))  # type: ignore[misc]
        yield SystemCommand(
            "Dashboard", "back to today's overview (escape)", self.back_to_dashboard
        )
        yield SystemCommand(
            "Study more today",
            "extra new cards, review ahead, one tag or folder (m)",
            self.action_custom_study,
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
        # -- issue 15: merge other devices' answers from the notes folder's event log --
        from studyapp.services.eventsync import merge

        merged = merge(coll)
        self._startup_merged = merged.line() is not None
        if merged.line():
            self.call_from_thread(self.notify, merged.line(), title="sync", markup=False)
        # -- end issue 15 --
        self.call_from_thread(self.startup_done, report)

    # -- optional: re-import notes edited while the app is open (setting watch_notes) ------
    @work(thread=True, exclusive=True, group="watch")
    def watch_notes_folder(self, watcher: Watcher | None = None) -> None:
        from studyapp.services.watch import watch_notes

        def imported(paths: list[str], report: ImportReport) -> None:
            self.call_from_thread(self.notes_changed, paths, report)

        watch_notes(self.ctx.coll, self.watch_stop, imported, watcher=watcher)

    def notes_changed(self, paths: list[str], report: ImportReport) -> None:
        what = paths[0] if len(paths) == 1 else plural(len(paths), "note")
        self.notify(f"re-imported {what} (changed on disk)", title="notes", markup=False)
        for problem in report.rejected:
            self.notify(problem.line(), title="note not imported", severity="error", markup=False)
        self.refresh_dashboard()

    def on_unmount(self) -> None:
        self.watch_stop.set()

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
        if changed or report.rejected or self._startup_owed or self._startup_merged:
            # Nothing written, merged or re-imported: the numbers on screen are already
            # the database's (at 10k notes a reload is ~0.2 s of the start-up).
            self.refresh_dashboard()
        if self.ctx.coll.settings.watch_notes:
            self.watch_notes_folder()
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
