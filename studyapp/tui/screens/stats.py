"""Statistics: today's numbers, reviews per day, retention, intervals, hardest cards.

Everything comes from one :func:`studyapp.services.queries.stats` call in a thread
worker; the screen only lays the numbers out.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, LoadingIndicator, Static

from studyapp.services import queries
from studyapp.services.queries import Stats
from studyapp.tui.context import AppContext
from studyapp.tui.widgets.bars import Bar, ColumnChart, HBars
from studyapp.tui.widgets.scheduler_eval import SchedulerEvaluation

__all__ = ["StatsScreen", "daily_series"]

#: Days shown in the reviews-per-day chart.
HISTORY_DAYS = 60


def daily_series(
    per_day: dict[str, int], today: date, days: int = HISTORY_DAYS
) -> list[tuple[date, int]]:
    """``days`` consecutive days ending today, zero-filled (the query only returns days with reviews)."""
    start = today - timedelta(days=days - 1)
    return [(d, per_day.get(d.isoformat(), 0)) for d in (start + timedelta(n) for n in range(days))]


class StatsScreen(Screen[None]):
    """Progress at a glance."""

    CSS_PATH = "stats.tcss"
    TITLE = "Statistics"
    SUB_TITLE = "统计"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (110, "-wide"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="stats.back"),
        Binding("ctrl+r", "refresh_stats", "Refresh", id="stats.refresh"),
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.stats: Stats | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats-body"):
            yield LoadingIndicator(id="stats-loading")
            with Horizontal(id="tiles"):
                for key in ("due", "reviewed", "streak", "retention", "new", "collection"):
                    yield Static(id=f"tile-{key}", classes="tile")
            with Horizontal(classes="stats-row"):
                with Vertical(classes="panel", id="per-day-panel"):
                    yield Label(
                        f"Reviews per day · last {HISTORY_DAYS} days", classes="section-title"
                    )
                    yield ColumnChart(id="per-day", rows=6, tone="accent")
                with Vertical(classes="panel", id="intervals-panel"):
                    yield Label("Interval distribution", classes="section-title")
                    yield HBars(id="intervals")
            with Horizontal(classes="stats-row"):
                with Vertical(classes="panel", id="hardest-panel"):
                    yield Label(
                        "Hardest cards · failed most (lapses, last answer), then ease",
                        classes="section-title",
                    )
                    table: DataTable[Text] = DataTable(
                        id="hardest", cursor_type="row", zebra_stripes=True
                    )
                    yield table
                with Vertical(classes="panel", id="mastery-panel"):
                    yield Label("Mastery by folder", classes="section-title")
                    yield HBars(id="mastery")
            with Vertical(classes="panel", id="eval-panel"):  # issue 14
                yield SchedulerEvaluation(self.ctx.coll, id="scheduler-eval")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#hardest", DataTable)
        table.add_column(Text("card", style="bold"), key="title")
        table.add_column(Text("kind", style="bold"), key="kind")
        table.add_column(Text("lapses", style="bold"), key="lapses")
        table.add_column(Text("last", style="bold"), key="last")
        table.add_column(Text("ease", style="bold"), key="ease")
        self.load_stats()

    def action_refresh_stats(self) -> None:
        self.load_stats()

    @work(thread=True, exclusive=True, group="stats")
    def load_stats(self) -> None:
        stats = queries.stats(self.ctx.coll)
        self.app.call_from_thread(self.show_stats, stats)

    def show_stats(self, stats: Stats) -> None:
        self.stats = stats
        self.query_one("#stats-loading").display = False
        self._tiles(stats)
        series = daily_series(stats.reviews_per_day, stats.today)
        self.query_one("#per-day", ColumnChart).update(
            [n for _d, n in series], [d.strftime("%m-%d") for d, _n in series]
        )
        self.query_one("#intervals", HBars).update(
            [Bar(label, n, str(n), "primary") for label, n in stats.interval_histogram.items()]
        )
        mastery = sorted(stats.mastery_by_folder.items())
        self.query_one("#mastery", HBars).update(
            [Bar(folder, m, f"{m:.0%}", _mastery_tone(m)) for folder, m in mastery], scale=1.0
        )
        table = self.query_one("#hardest", DataTable)
        table.clear()
        for row in stats.hardest:
            table.add_row(
                Text(str(row["title"])),
                Text(str(row["kind"]), style="dim"),
                Text(str(row["lapses"]), justify="right", style="red" if row["lapses"] else ""),
                Text("failed", style="red") if row["failing"] else Text("passed", style="dim"),
                Text(
                    f"{row['ease']:.2f}",
                    justify="right",
                    style="yellow" if row["ease"] < 2.0 else "",
                ),
                key=str(row["card_id"]),
            )
        if not stats.hardest:
            table.add_row(
                Text("no failed cards yet · 还没有答错的卡片", style="italic dim"),
                Text(""),
                Text(""),
                Text(""),
                Text(""),
            )

    def _tiles(self, s: Stats) -> None:
        retention = "—" if s.retention_30d is None else f"{s.retention_30d:.0%}"
        tiles = {
            "due": (
                str(s.due_today),
                "due today",
                f"{s.overdue} overdue" if s.overdue else "none overdue",
            ),
            "reviewed": (
                str(s.reviewed_today),
                "reviewed today",
                f"{sum(s.forecast_14d)} due in 14 d",
            ),
            "streak": (f"{s.streak} d", "streak", "days in a row"),
            "retention": (retention, "retention", "last 30 days"),
            "new": (str(s.new_available), "new cards", "not yet seen"),
            "collection": (
                f"{s.notes}/{s.cards}",
                "notes/cards",
                f"{s.import_problems} import problems",
            ),
        }
        for key, (big, label, small) in tiles.items():
            tone = "$text-warning" if key == "due" and s.overdue else "$text-primary"
            if key == "retention" and s.retention_30d is not None:
                tone = "$text-success" if s.retention_30d >= 0.85 else "$text-warning"
            if key == "collection" and s.import_problems:
                tone = "$text-error"
            self.query_one(f"#tile-{key}", Static).update(
                Content.assemble(
                    (big, f"bold {tone}"), "\n", (label, "bold"), "\n", (small, "$text-muted")
                )
            )


def _mastery_tone(value: float) -> str:
    if value >= 0.7:
        return "success"
    return "warning" if value >= 0.3 else "error"
