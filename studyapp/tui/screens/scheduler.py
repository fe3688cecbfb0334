"""``s`` on the dashboard: the scheduler (SM-2 / FSRS, retention, optimize) and the exams.

Issue 14's configuration, in the TUI: what ``studyapp config scheduler``,
``config desired_retention``, ``scheduler optimize`` and ``exam add|remove`` do on the
command line, through the same services (:mod:`studyapp.services.scheduler`,
:mod:`studyapp.services.exams`), run in thread workers.  Anything that rewrites every
card's schedule (switching, or a new retention under FSRS) asks first.  Exam names,
tags and folders are user text: they are shown as ``Text``/``Content``, never markup.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Static

from studyapp.services.scheduler import RETENTION_RANGE, StoredParams, SwitchReport
from studyapp.tui.context import AppContext
from studyapp.tui.widgets.exam_panel import countdown
from studyapp.tui.widgets.scheduler_eval import SchedulerEvaluation

__all__ = ["SchedulerScreen", "SchedulerState", "parse_retention", "summary_text"]

NAMES = {"sm2": "SM-2", "fsrs": "FSRS"}


@dataclass(frozen=True)
class SchedulerState:
    """What the screen shows, loaded in one worker."""

    scheduler: str
    desired_retention: float
    params: StoredParams | None
    exams: list[dict[str, Any]]


def parse_retention(text: str) -> float | str:
    """The retention typed, or why it is refused (checked before asking to reschedule)."""
    low, high = RETENTION_RANGE
    try:
        value = float(text.strip())
    except ValueError:
        return f"Retention: a number from {low:.2f} to {high:.2f}."
    if not low <= value <= high:
        return f"Retention: expected a value from {low:.2f} to {high:.2f}, not {text.strip()}."
    return value


def summary_text(state: SchedulerState) -> Text:
    """Scheduler, retention and the fitted parameters, as three short lines."""
    out = Text(end="")
    out.append("scheduler  ", style="dim")
    out.append(NAMES.get(state.scheduler, state.scheduler), style="bold")
    out.append("  (SM-2 is the default)\n" if state.scheduler == "fsrs" else "  (default)\n")
    out.append("retention  ", style="dim")
    out.append(f"{state.desired_retention:.2f}", style="bold")
    out.append(
        "  FSRS aims at this recall on each review\n"
        if state.scheduler == "fsrs"
        else "  used once FSRS is on\n"
    )
    out.append("FSRS fit   ", style="dim")
    if state.params is None:
        out.append("default parameters", style="bold")
        out.append("  (optimize fits them to your log)")
    else:
        out.append(f"fitted {state.params.fitted_on}", style="bold")
        out.append(f" on {state.params.review_count} reviews")
    return out


class SchedulerScreen(Screen[None]):
    """Scheduler settings, optimizing, the evaluation table and the exams, on one page."""

    CSS_PATH = "scheduler.tcss"
    TITLE = "Scheduler and exams"
    SUB_TITLE = "调度与面试日期"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="scheduler.back"),
        Binding("ctrl+o", "optimize", "Optimize", id="scheduler.optimize"),
        Binding("delete", "remove_exam", "Remove exam", id="scheduler.remove_exam"),
    ]

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.state: SchedulerState | None = None
        #: Set while a worker rewrites schedules, so a second press does not start another.
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="sched-body"):
            with Vertical(classes="panel", id="sched-panel"):
                yield Label(Content("Scheduler · 调度算法"), classes="section-title")
                yield Static(Content("loading…"), id="sched-summary")
                with Horizontal(classes="form-row"):
                    yield Button(Content("Switch to FSRS"), id="switch", compact=True)
                    yield Label(Content("retention"), classes="form-label")
                    yield Input(
                        "0.90",
                        type="number",
                        max_length=5,
                        compact=True,
                        id="retention",
                        tooltip="desired retention, 0.70-0.97",
                    )
                    yield Button(Content("Set"), id="set-retention", compact=True)
                    yield Button(
                        Content("Optimize (^o)"), id="optimize", variant="primary", compact=True
                    )
                yield Static(id="sched-message")
            with Vertical(classes="panel", id="exam-panel"):
                yield Label(Content("Interviews · 面试日期"), classes="section-title")
                table: DataTable[Text] = DataTable(
                    id="exam-table", cursor_type="row", zebra_stripes=True
                )
                yield table
                with Horizontal(classes="form-row"):
                    yield Label(Content("date"), classes="form-label")
                    yield Input(
                        placeholder="YYYY-MM-DD", max_length=10, compact=True, id="exam-date"
                    )
                    yield Label(Content("name"), classes="form-label")
                    yield Input(placeholder="optional, e.g. 字节二面", compact=True, id="exam-name")
                with Horizontal(classes="form-row"):
                    yield Label(Content("tag"), classes="form-label")
                    yield Input(placeholder="or…", compact=True, id="exam-tag")
                    yield Label(Content("folder"), classes="form-label")
                    yield Input(placeholder="neither: all", compact=True, id="exam-folder")
                    yield Button(Content("Add"), id="exam-add", variant="primary", compact=True)
                    yield Button(Content("Remove"), id="exam-remove", compact=True)
                yield Static(id="exam-message")
            with Vertical(classes="panel", id="eval-panel"):
                yield SchedulerEvaluation(self.ctx.coll, id="scheduler-eval")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#exam-table", DataTable)
        for name in ("exam", "date", "when", "ready", "cards", "scope"):
            table.add_column(Text(name, style="bold"), key=name)
        self.load_state()
        self.load_suggestions()

    # -- loading ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="scheduler-state")
    def load_state(self) -> None:
        from studyapp.services.exams import status
        from studyapp.services.scheduler import stored_params

        coll = self.ctx.coll
        settings = coll.settings
        state = SchedulerState(
            settings.scheduler, settings.desired_retention, stored_params(coll), status(coll)
        )
        self.app.call_from_thread(self.show_state, state)

    def show_state(self, state: SchedulerState) -> None:
        first = self.state is None
        self.state = state
        self.query_one("#sched-summary", Static).update(summary_text(state))
        other = "sm2" if state.scheduler == "fsrs" else "fsrs"
        self.query_one("#switch", Button).label = Content(f"Switch to {NAMES[other]}")
        if first:
            self.query_one("#retention", Input).value = f"{state.desired_retention:.2f}"
        table = self.query_one("#exam-table", DataTable)
        table.clear()
        for row in state.exams:
            table.add_row(
                Text(str(row["name"]), style="bold"),
                Text(str(row["date"])),
                Text(countdown(int(row["days_left"])), style="dim"),
                Text(f"{float(row['readiness']):.0%}", justify="right"),
                Text(str(row["cards"]), justify="right"),
                Text(str(row["scope"]), style="dim"),
                key=str(row["name"]),
            )
        table.display = bool(state.exams)
        self.refresh_bindings()  # "delete remove exam" only with an exam to remove
        if not state.exams:
            self.exam_message(
                Content.styled(
                    "No exams yet: a date after today, and a tag or a folder (or neither: "
                    "all notes), then Add.",
                    "$text-muted",
                )
            )

    @work(thread=True, exclusive=True, group="scheduler-suggest")
    def load_suggestions(self) -> None:
        """Tags and folders to complete in the exam form (typing is still free)."""
        from studyapp.services import queries

        rows = queries.notes(self.ctx.coll)
        tags = sorted({t for r in rows for t in r.tags})
        folders = sorted({r.folder for r in rows if r.folder})
        self.app.call_from_thread(self._suggestions_loaded, tags, folders)

    def _suggestions_loaded(self, tags: list[str], folders: list[str]) -> None:
        self.query_one("#exam-tag", Input).suggester = SuggestFromList(tags)
        self.query_one("#exam-folder", Input).suggester = SuggestFromList(folders)

    def sched_message(self, message: Content | str) -> None:
        self.query_one("#sched-message", Static).update(message)

    def exam_message(self, message: Content | str) -> None:
        self.query_one("#exam-message", Static).update(message)

    def _refused(self, message: str) -> None:
        self.sched_message(Content.styled(message, "$text-error"))

    # -- switching the scheduler ----------------------------------------------------------
    @on(Button.Pressed, "#switch")
    def ask_switch(self) -> None:
        if self.state is None or self.busy:
            return
        target = "sm2" if self.state.scheduler == "fsrs" else "fsrs"
        from studyapp.tui.screens.notes_browser import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(
                f"Switch to {NAMES[target]}?",
                "Every card's schedule is rebuilt from its review log (cards without one "
                "from their SM-2 ease and interval). Switching back gives the same "
                "schedules again: the log is the truth.",
            ),
            lambda yes: self.switch(target) if yes else None,
        )

    def switch(self, target: str) -> None:
        self.busy = True
        self.sched_message(Content.styled("Converting every card…", "$text-muted"))
        self.run_switch(target)

    @work(thread=True, exclusive=True, group="scheduler-write")
    def run_switch(self, target: str) -> None:
        from studyapp.services.scheduler import set_scheduler

        try:
            report = set_scheduler(self.ctx.coll, target)
        except ValueError as exc:
            self.app.call_from_thread(self.write_failed, str(exc))
            return
        self.app.call_from_thread(self.rescheduled, f"Switched to {NAMES[target]}", report)

    def rescheduled(self, title: str, report: SwitchReport | None) -> None:
        self.busy = False
        line = report.line() if report else "saved; SM-2 does not use it, no card changed"
        # The full report goes to the notification; the line under the buttons stays short.
        self.sched_message(Content.styled(f"✓ {title}", "$text-success"))
        self.notify(line, title=title, timeout=6, markup=False)
        self.load_state()  # the evaluation compares every model anyway: no refit needed

    def write_failed(self, message: str) -> None:
        self.busy = False
        self._refused(message)
        self.notify(message, severity="error", markup=False)

    # -- desired retention ------------------------------------------------------------------
    @on(Button.Pressed, "#set-retention")
    @on(Input.Submitted, "#retention")
    def ask_retention(self) -> None:
        if self.state is None or self.busy:
            return
        value = parse_retention(self.query_one("#retention", Input).value)
        if isinstance(value, str):
            self._refused(value)
            return
        if self.state.scheduler != "fsrs":
            self.set_retention(value)
            return
        from studyapp.tui.screens.notes_browser import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(
                f"Desired retention {value:.2f}?",
                "Under FSRS every card is rescheduled from its review log for the new retention.",
            ),
            lambda yes: self.set_retention(value) if yes else None,
        )

    def set_retention(self, value: float) -> None:
        self.busy = True
        self.sched_message(Content.styled("Saving…", "$text-muted"))
        self.run_retention(value)

    @work(thread=True, exclusive=True, group="scheduler-write")
    def run_retention(self, value: float) -> None:
        from studyapp.services.scheduler import set_desired_retention

        try:
            report = set_desired_retention(self.ctx.coll, value)
        except ValueError as exc:
            self.app.call_from_thread(self.write_failed, str(exc))
            return
        self.app.call_from_thread(self.rescheduled, f"Retention {value:.2f}", report)

    # -- optimize ------------------------------------------------------------------------
    @on(Button.Pressed, "#optimize")
    def action_optimize(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.sched_message(Content.styled("Fitting FSRS to your log…", "$text-muted"))
        self.run_optimize()

    @work(thread=True, exclusive=True, group="scheduler-write")
    def run_optimize(self) -> None:
        from studyapp.services.scheduler import optimize

        result = optimize(self.ctx.coll)
        self.app.call_from_thread(self.optimized, result.ok, result.message)

    def optimized(self, ok: bool, message: str) -> None:
        self.busy = False
        self.sched_message(Content.styled(message, "$text-success" if ok else "$text-warning"))
        self.notify(
            message, title="Optimize", severity="information" if ok else "warning", markup=False
        )
        self.load_state()
        self.query_one(SchedulerEvaluation).reload()

    # -- exams ------------------------------------------------------------------------------
    @on(Button.Pressed, "#exam-add")
    @on(Input.Submitted, "#exam-date, #exam-name, #exam-tag, #exam-folder")
    def add_exam(self) -> None:
        text = self.query_one("#exam-date", Input).value.strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self.exam_message(Content.styled("Date: YYYY-MM-DD, e.g. 2026-12-20.", "$text-error"))
            return
        name = self.query_one("#exam-name", Input).value.strip() or None
        tag = self.query_one("#exam-tag", Input).value.strip() or None
        folder = self.query_one("#exam-folder", Input).value.strip() or None
        if tag and folder:
            self.exam_message(
                Content.styled("A tag or a folder, not both (neither: all notes).", "$text-error")
            )
            return
        self.run_add_exam(day, name, tag, folder)

    @work(thread=True, exclusive=True, group="scheduler-exam")
    def run_add_exam(
        self, day: date, name: str | None, tag: str | None, folder: str | None
    ) -> None:
        from studyapp.services.exams import add_exam, status

        try:
            exam, moved = add_exam(self.ctx.coll, day, name=name, tag=tag, folder=folder)
        except ValueError as exc:
            message = str(exc).replace("give --tag or --folder", "give a tag or a folder")
            self.app.call_from_thread(self.exam_message, Content.styled(message, "$text-error"))
            return
        line = f"{exam.exam_date} ({exam.scope()}); {moved} cards moved into the final 3 days"
        empty = not any(r["name"] == exam.name and r["cards"] for r in status(self.ctx.coll))
        self.app.call_from_thread(self.exam_added, exam.name, line, empty)

    def exam_added(self, name: str, line: str, empty: bool) -> None:
        for field in ("#exam-date", "#exam-name", "#exam-tag", "#exam-folder"):
            self.query_one(field, Input).value = ""
        if empty:  # kept (notes may come later), but a typo in the tag should not go unseen
            self.exam_message(
                Content.styled(f"{name}: no card is in this scope yet.", "$text-warning")
            )
        else:
            self.exam_message(Content.styled(f"✓ {name}", "$text-success"))
        self.notify(line, title=name, timeout=5, markup=False)
        self.load_state()

    def highlighted_exam(self) -> str | None:
        table = self.query_one("#exam-table", DataTable)
        if not table.row_count or self.state is None or not self.state.exams:
            return None
        return str(self.state.exams[table.cursor_row]["name"])

    @on(Button.Pressed, "#exam-remove")
    def action_remove_exam(self) -> None:
        name = self.highlighted_exam()
        if name is None:
            self.exam_message(Content.styled("No exam to remove.", "$text-warning"))
            return
        from studyapp.tui.screens.notes_browser import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(
                f"Remove the exam {name}?",
                "Due dates already moved into its last days stay (they only come earlier).",
            ),
            lambda yes: self.remove_exam(name) if yes else None,
        )

    def remove_exam(self, name: str) -> None:
        self.run_remove_exam(name)

    @work(thread=True, exclusive=True, group="scheduler-exam")
    def run_remove_exam(self, name: str) -> None:
        from studyapp.services.exams import remove_exam

        with contextlib.suppress(KeyError):  # removed meanwhile (the CLI): the reload shows it
            remove_exam(self.ctx.coll, name)
        self.app.call_from_thread(self.exam_removed, name)

    def exam_removed(self, name: str) -> None:
        self.exam_message(Content.styled(f"removed {name}", "$text-muted"))
        self.notify("removed; due dates already moved stay", title=name, markup=False)
        self.load_state()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove_exam":
            return bool(self.state and self.state.exams)
        return True
