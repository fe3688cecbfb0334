"""The home screen: what is due, the next two weeks, the last months and mastery.

Everything shown comes from :func:`studyapp.services.queries.stats`, loaded in a
thread worker: the screen is interactive at once and fills in when the numbers
arrive (and again when the start-up import or a review session finishes).
"""

from __future__ import annotations

import threading
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from studyapp.core.wording import plural
from studyapp.services.queries import Stats
from studyapp.tui.context import AppContext
from studyapp.tui.widgets.exam_panel import ExamPanel
from studyapp.tui.widgets.forecast_chart import ForecastChart
from studyapp.tui.widgets.heatmap import ReviewHeatmap
from studyapp.tui.widgets.mastery_bars import MasteryBars

__all__ = ["DashboardScreen", "call_to_action", "mastery_rows"]

#: Singular nouns; :func:`plural` inflects them ("1 note", "12 table facts").
KIND_NAMES = {"note": "note", "table": "table fact", "calc": "sizing drill"}


def call_to_action(stats: Stats) -> str:
    """The one line telling what to do now."""
    if stats.due_today:
        return f"r — review {stats.due_today} due card{'s' if stats.due_today != 1 else ''}"
    return "Nothing due — m to study more · q to cram"


def mastery_rows(
    values: dict[str, float], *, top_level_first: bool = False
) -> list[tuple[str, float]]:
    """Rows for a mastery chart, weakest first; with ``top_level_first`` sub-tags are left out when top-level tags exist."""
    items = list(values.items())
    if top_level_first:
        tops = [(k, v) for k, v in items if "/" not in k]
        items = tops or items
    return sorted(items, key=lambda kv: (kv[1], kv[0]))


class DashboardScreen(Screen[None]):
    """Today at a glance, with the next step one key away."""

    CSS_PATH = "dashboard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "app.review", "review", id="dashboard.review"),
        Binding("q", "app.quiz", "cram", id="dashboard.quiz"),
        Binding(
            "c", "app.calculator", "calc", tooltip="sizing calculator", id="dashboard.calculator"
        ),
        Binding("n", "app.notes", "notes", id="dashboard.notes"),
        Binding("t", "app.stats", "stats", id="dashboard.stats"),
        # In help (?) and the palette; in the footer it pushed "^q quit" past 80 columns.
        Binding("i", "app.import_notes", "import", show=False, id="dashboard.import"),
        Binding(
            "p",
            "problems",
            "issues",
            tooltip="notes that could not be imported",
            # The problems banner names the key; in the footer it pushed "m more" past 80 columns.
            show=False,
            id="dashboard.problems",
        ),
        Binding(
            "m",
            "app.custom_study",
            "more",
            tooltip="study more today: new cards, review ahead, one tag or folder",
            id="dashboard.custom",
        ),
        Binding(
            "s",
            "app.scheduler",
            "scheduler & exams",
            tooltip="SM-2 or FSRS, retention, optimize, add or remove interview dates",
            # The footer is full at 80 columns; help (?), the palette and the exam panel name it.
            show=False,
            id="dashboard.scheduler",
        ),
        Binding("f5", "reload", "refresh", show=False, id="dashboard.reload"),
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.stats: Stats | None = None
        #: Set once the first numbers are computed: the start-up re-import waits for it,
        #: so the two do not fight over the GIL and the database while the user waits.
        self.first_load = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="dashboard"):
            yield Static(Content("loading…"), id="cta")
            with Horizontal(id="import-status"):
                yield Static(Content("importing notes…"), id="import-label")
                yield ProgressBar(id="import-progress", show_eta=False)
            yield Static(id="problems-line")
            yield ExamPanel(self.ctx.coll, id="exam-panel")  # issue 14
            with Horizontal(id="row-today"):
                yield Static(Content("loading…"), id="today", classes="panel")
                with Vertical(id="forecast-panel", classes="panel"):
                    yield ForecastChart(id="forecast")
            with Vertical(id="heatmap-panel", classes="panel"):
                yield ReviewHeatmap(id="heatmap")
            with Horizontal(id="row-mastery"):
                with Vertical(id="tag-panel", classes="panel"):
                    yield MasteryBars(id="mastery-tags", empty="no tags yet")
                with Vertical(id="folder-panel", classes="panel"):
                    yield MasteryBars(id="mastery-folders", empty="no notes yet")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#today").border_title = "Today"
        self.query_one("#forecast-panel").border_title = "Due · next 14 days"
        self.query_one("#heatmap-panel").border_title = "Reviews per day"
        self.query_one("#tag-panel").border_title = "Mastery by tag"
        self.query_one("#folder-panel").border_title = "Mastery by folder"
        self.query_one("#import-status").display = False
        self.query_one("#problems-line").display = False
        self.reload()

    def on_screen_resume(self) -> None:
        if self.stats is not None:  # back from a review: the numbers changed
            self.reload()

    def action_reload(self) -> None:
        self.reload()

    # -- data -------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="dashboard")
    def reload(self) -> None:
        from studyapp.services.queries import stats

        try:
            result = stats(self.ctx.coll)
        finally:
            self.first_load.set()
        self.app.call_from_thread(self.show_stats, result)

    def show_stats(self, stats: Stats) -> None:
        self.stats = stats
        self.query_one(ExamPanel).reload()  # issue 14: readiness changes with every review
        cta = self.query_one("#cta", Static)
        cta.update(Content(call_to_action(stats)))
        cta.set_class(stats.due_today > 0, "-due")
        self.query_one("#today", Static).update(self.today_text(stats))
        self.query_one("#today").border_title = f"Today · {stats.today.isoformat()}"
        # Today's bar is today's queue (new cards included), the rest is the SM-2 forecast.
        counts = [stats.due_today, *stats.forecast_14d[1:]]
        self.query_one(ForecastChart).set_data(counts, stats.today)
        self.query_one(ReviewHeatmap).set_data(stats.reviews_per_day, stats.today)
        self.query_one("#mastery-tags", MasteryBars).set_rows(
            mastery_rows(stats.mastery_by_tag, top_level_first=True)
        )
        self.query_one("#mastery-folders", MasteryBars).set_rows(
            mastery_rows(stats.mastery_by_folder)
        )
        line = self.query_one("#problems-line", Static)
        n = stats.import_problems
        line.display = n > 0
        if n:
            line.update(Content(f"⚠ {n} import problem{'s' if n != 1 else ''} — p to list"))

    def today_text(self, stats: Stats) -> Text:
        out = Text(end="")
        out.append(f"{stats.due_today:>4}", style="bold")
        out.append(" due")
        kinds = [plural(n, KIND_NAMES.get(k, k)) for k, n in sorted(stats.due_by_kind.items())]
        if kinds:
            out.append("  (" + ", ".join(kinds) + ")", style="dim")
        out.append("\n")
        out.append(f"{stats.overdue:>4}", style="bold")
        out.append(" overdue\n")
        out.append(f"{stats.new_available:>4}", style="bold")
        out.append(" new cards available\n")
        out.append(f"{stats.reviewed_today:>4}", style="bold")
        out.append(" reviewed today\n")
        out.append(f"{stats.streak:>4}", style="bold")
        out.append(f" day streak · {plural(stats.notes, 'note')} · {plural(stats.cards, 'card')}")
        if stats.retention_30d is not None:
            out.append(f"\n{stats.retention_30d:>4.0%}", style="bold")
            out.append(" retention (30 days)")
        return out

    # -- import progress (driven by the app's start-up worker) ----------------------------
    def show_import_progress(self, done: int, total: int) -> None:
        self.query_one("#import-status").display = True
        self.query_one("#import-label", Static).update(Content(f"importing notes {done}/{total}"))
        self.query_one("#import-progress", ProgressBar).update(total=max(total, 1), progress=done)

    def hide_import_progress(self) -> None:
        self.query_one("#import-status").display = False

    def action_problems(self) -> None:
        from studyapp.tui.screens.import_screen import ProblemsScreen

        self.app.push_screen(ProblemsScreen(self.ctx))
