"""Stats panel: SM-2 vs FSRS default vs FSRS optimized on the user's own log.

The same table as ``studyapp scheduler evaluate``, loaded from
:func:`studyapp.services.scheduler.evaluate` in a thread worker (fitting takes a
moment on a big log), so the stats screen only has to place the widget.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

__all__ = ["SchedulerEvaluation"]


class SchedulerEvaluation(Vertical):
    """Log loss, RMSE(bins) and AUC per model; lower log loss and RMSE are better."""

    DEFAULT_CSS = """
    SchedulerEvaluation { height: auto; }
    SchedulerEvaluation DataTable { height: auto; }
    SchedulerEvaluation #eval-note { color: $text-muted; }
    """

    def __init__(self, coll: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.coll = coll
        self.report: dict[str, Any] | None = None
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Label("Schedulers on your log · time-series split", classes="section-title")
        table: DataTable[Text] = DataTable(id="eval-table", cursor_type="none", zebra_stripes=True)
        yield table
        yield Static(id="eval-note")

    def on_mount(self) -> None:
        table = self.query_one("#eval-table", DataTable)
        for name in ("model", "log loss", "RMSE(bins)", "AUC"):
            table.add_column(Text(name, style="bold"), key=name)
        self.reload()

    @work(thread=True, exclusive=True, group="scheduler-eval")
    def reload(self) -> None:
        from studyapp.services.scheduler import evaluate

        report = evaluate(self.coll)
        self.app.call_from_thread(self.show_report, report)

    def show_report(self, report: dict[str, Any] | None) -> None:
        self.report, self.loaded = report, True
        table = self.query_one("#eval-table", DataTable)
        table.clear()
        note = self.query_one("#eval-note", Static)
        if report is None:
            table.display = False
            note.update(Text("Not enough history yet: reviews on at least two days are needed."))
            return
        table.display = True
        best = min(m["log_loss"] for m in report["models"])
        for m in report["models"]:
            style = "bold green" if m["log_loss"] == best else ""
            auc = "—" if m["auc"] is None else f"{m['auc']:.3f}"
            table.add_row(
                Text(m["model"], style=style),
                Text(f"{m['log_loss']:.4f}", justify="right", style=style),
                Text(f"{m['rmse_bins']:.4f}", justify="right"),
                Text(auc, justify="right"),
            )
        lines = [
            f"trained on {report['train_reviews']} reviews before {report['split_day']}, "
            f"tested on {report['test_reviews']} after · SM-2: {report['sm2_probability']}"
        ]
        if report["note"]:
            lines.append(f"FSRS optimized: {report['note']}")
        note.update(Text("\n".join(lines)))
