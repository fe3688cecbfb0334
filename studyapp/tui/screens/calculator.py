"""The sizing calculator: the sizing engine made interactive.

Pick a model, a weight format and a device, type a context, batch and GPU count, and
every figure is recomputed at once (one scenario costs well under a millisecond, pure
Python, no database): the memory breakdown against usable memory, whether it fits,
the minimum tensor-parallel degree, decode speed, time to first token, cost and
energy per token, a side-by-side with a second device, and the worked steps.  ``x``
turns the current scenario into a question graded like a calc card (that dialog lives
in :mod:`.calc_question`, the figures' text in :mod:`studyapp.tui.widgets.sizing_text`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static

from studyapp.core.sizing.catalog import load_catalog
from studyapp.core.sizing.report import SizingReport, size_report
from studyapp.core.token_count import parse_token_count
from studyapp.tui.context import AppContext
from studyapp.tui.screens.calc_question import QuizKind, ScenarioQuizScreen, scenario_prompt
from studyapp.tui.widgets.bars import Bar, HBars
from studyapp.tui.widgets.sizing_text import (
    compare_rows,
    cost_text,
    device_label,
    energy_text,
    estimate_note,
    gb_text,
    min_gpus_text,
    num_text,
    short_name,
    tps_range,
    ttft_text,
)

# ScenarioQuizScreen and scenario_prompt are re-exported: callers knew them from here.
__all__ = [
    "DEFAULT_SCENARIO",
    "CalculatorScreen",
    "Scenario",
    "ScenarioQuizScreen",
    "scenario_prompt",
]


@dataclass(frozen=True)
class Scenario:
    """What the form says; ``gpus=None`` means "the fewest that fit"."""

    model: str
    fmt: str
    device: str
    compare: str
    context: int
    batch: int
    gpus: int | None


DEFAULT_SCENARIO = Scenario(
    model="llama-3-8b",
    fmt="int4",
    device="iphone-15-pro",
    compare="h100-sxm",
    context=4096,
    batch=1,
    gpus=None,
)


class CalculatorScreen(Screen[None]):
    """Interactive sizing: every change of the form recomputes the whole report."""

    CSS_PATH = "calculator.tcss"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (110, "-wide"),
    ]
    TITLE = "Sizing calculator"
    SUB_TITLE = "显存 / 速度 / 成本估算"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="calc.back"),
        Binding("x", "quiz_me", "Quiz me", id="calc.quiz"),
        Binding("ctrl+r", "reset_form", "Reset", id="calc.reset"),
        Binding("s", "focus_steps", "Steps", id="calc.steps", show=False),
    ]

    def __init__(
        self, ctx: AppContext | None = None, scenario: Scenario = DEFAULT_SCENARIO
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.initial = scenario
        self.report: SizingReport | None = None
        self.compare_report: SizingReport | None = None
        self._quiz_count = 0

    # -- layout ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        cat = load_catalog()
        s = self.initial
        models = [(Text(m.name), m.id) for m in cat.models.values()]
        formats = [(Text(f"{f.name}  ·  {f.bpw:g} bpw"), f.id) for f in cat.formats.values()]
        devices = sorted(cat.devices.values(), key=lambda d: (not d.is_edge, d.mem_gb))
        device_opts = [(device_label(d), d.id) for d in devices]
        yield Header()
        with VerticalScroll(id="calc-body"):
            with Vertical(id="calc-form"):
                with Horizontal(classes="form-row"):
                    yield from self._field(
                        "Model",
                        Select(models, value=s.model, allow_blank=False, compact=True, id="model"),
                    )
                    yield from self._field(
                        "Format",
                        Select(formats, value=s.fmt, allow_blank=False, compact=True, id="fmt"),
                    )
                with Horizontal(classes="form-row"):
                    yield from self._field(
                        "Device",
                        Select(
                            device_opts,
                            value=s.device,
                            allow_blank=False,
                            compact=True,
                            id="device",
                        ),
                    )
                    yield from self._field(
                        "vs",
                        Select(
                            device_opts,
                            value=s.compare,
                            allow_blank=False,
                            compact=True,
                            id="compare",
                        ),
                    )
                with Horizontal(classes="form-row"):
                    yield from self._field(
                        "Context",
                        Input(
                            str(s.context),
                            restrict=r"[0-9kKmM.]*",
                            tooltip="tokens: 8192, 32k, 128K",
                            compact=True,
                            id="context",
                        ),
                    )
                    yield from self._field(
                        "Batch", Input(str(s.batch), type="integer", compact=True, id="batch")
                    )
                    yield from self._field(
                        "GPUs",
                        Input(
                            "" if s.gpus is None else str(s.gpus),
                            placeholder="auto",
                            type="integer",
                            compact=True,
                            id="gpus",
                        ),
                    )
            with Horizontal(id="calc-results"):
                with Vertical(id="calc-left", classes="panel"):
                    yield Static(id="verdict")
                    yield Label("Memory per device", classes="section-title")
                    yield HBars(id="breakdown")
                    yield Static(id="figures")
                    yield Static(id="notes")
                with Vertical(id="calc-right"):
                    with Vertical(id="compare-panel", classes="panel"):
                        yield Label("Side by side", classes="section-title")
                        table: DataTable[Text] = DataTable(
                            id="compare-table", cursor_type="none", zebra_stripes=True
                        )
                        yield table
                    with VerticalScroll(id="steps", classes="panel"):
                        yield Label("Worked steps", classes="section-title")
                        yield Static(id="steps-text")
        yield Footer()

    @staticmethod
    def _field(label: str, widget: Select[str] | Input) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(label, classes="field-label")
            yield widget

    def on_mount(self) -> None:
        self.recompute()

    def on_resize(self) -> None:
        # The side-by-side columns share the panel's width: redraw them at the new size.
        self.call_after_refresh(self._redraw_compare)

    def _redraw_compare(self) -> None:
        if self.report is not None and self.compare_report is not None:
            self._show_compare(self.report, self.compare_report)

    # -- reading the form -------------------------------------------------------------
    def _int(self, widget_id: str, low: int, high: int) -> int | None:
        widget = self.query_one(f"#{widget_id}", Input)
        text = widget.value.strip()
        try:
            value = parse_token_count(text) if widget_id == "context" else int(text)
        except ValueError:
            value = None
        ok = value is not None and low <= value <= high
        widget.set_class(not ok and bool(text or widget_id != "gpus"), "-invalid")
        return value if ok else None

    def read_form(self) -> Scenario | None:
        """The scenario the form describes, or ``None`` while a field is invalid."""
        context = self._int("context", 1, 10_000_000)
        batch = self._int("batch", 1, 100_000)
        gpus_text = self.query_one("#gpus", Input).value.strip()
        gpus = self._int("gpus", 1, 64) if gpus_text else None
        if context is None or batch is None or (gpus_text and gpus is None):
            return None
        values = {}
        for key in ("model", "fmt", "device", "compare"):
            value = self.query_one(f"#{key}", Select).value
            if value is Select.NULL:
                return None
            values[key] = str(value)
        return Scenario(context=context, batch=batch, gpus=gpus, **values)

    @on(Select.Changed)
    @on(Input.Changed)
    def form_changed(self) -> None:
        self.recompute()

    # -- computing and showing -----------------------------------------------------------
    def recompute(self) -> None:
        scenario = self.read_form()
        if scenario is None:
            self.query_one("#verdict", Static).update(
                Content.styled(
                    "Fix the highlighted field (a positive whole number; context also 32k).",
                    "$warning",
                )
            )
            return
        report = size_report(
            scenario.model,
            scenario.fmt,
            scenario.device,
            gpus=scenario.gpus,
            context=scenario.context,
            batch=scenario.batch,
        )
        compare = size_report(
            scenario.model,
            scenario.fmt,
            scenario.compare,
            context=scenario.context,
            batch=scenario.batch,
        )
        self.report, self.compare_report = report, compare
        self._show_verdict(report)
        self._show_breakdown(report)
        self._show_figures(report)
        self._show_compare(report, compare)
        self._show_steps(report)

    def _show_verdict(self, r: SizingReport) -> None:
        f = r.figures
        where = f"{r.model.name} · {r.fmt.name} · {r.gpus} × {short_name(r.device)}"
        if r.fits:
            head = Content.styled(" ✓ FITS ", "bold $text-success on $success-muted")
            tail = f"  headroom {gb_text(f['headroom_bytes'])}"
        else:
            head = Content.styled(" ✗ DOES NOT FIT ", "bold $text-error on $error-muted")
            tail = f"  short by {gb_text(-f['headroom_bytes'])}"
        line1 = Content.assemble(head, (tail, "bold"))
        # Next to the verdict, not only among the notes further down: a context past the
        # model's window makes every figure above meaningless (the CLI says so too).
        notes = []
        if r.context > r.model.max_context:
            notes.append(
                Content.styled(
                    f"⚠ context {r.context:,} exceeds the model's window of"
                    f" {r.model.max_context:,} tokens",
                    "bold $text-warning",
                )
            )
        self.query_one("#verdict", Static).update(
            Content("\n").join([line1, Content.styled(where, "$text-muted"), *notes])
        )

    def _show_breakdown(self, r: SizingReport) -> None:
        f = r.figures
        parts = [
            Bar(
                "weights",
                f["weights_per_gpu_bytes"],
                gb_text(f["weights_per_gpu_bytes"]),
                "primary",
            ),
            Bar("KV cache", f["kv_per_gpu_bytes"], gb_text(f["kv_per_gpu_bytes"]), "accent"),
            Bar("activations", f["activation_bytes"], gb_text(f["activation_bytes"]), "secondary"),
            Bar("overhead", f["overhead_bytes"], gb_text(f["overhead_bytes"]), "warning"),
            Bar(
                "total",
                f["need_per_gpu_bytes"],
                gb_text(f["need_per_gpu_bytes"]),
                "success" if r.fits else "error",
            ),
            Bar("usable", f["usable_bytes"], gb_text(f["usable_bytes"]), "success"),
        ]
        scale = max(f["need_per_gpu_bytes"], f["usable_bytes"])
        self.query_one("#breakdown", HBars).update(parts, scale=scale, limit=f["usable_bytes"])

    def _show_figures(self, r: SizingReport) -> None:
        f = r.figures
        regime = ""
        if not math.isnan(f["ridge_flop_per_byte"]):
            regime = " · memory-bound" if f["memory_bound"] == 1.0 else " · compute-bound"
        rows = [
            ("min GPUs", min_gpus_text(r)),
            ("decode bound", f"{num_text(f['tokens_per_s_bound'])} tok/s{regime}"),
            ("realistic", f"{tps_range(r)} tok/s (MBU {r.mbu[0]:.0%}–{r.mbu[1]:.0%})"),
            ("first token", ttft_text(r)),
            ("cost / 1K tok", cost_text(r)),
            ("energy / tok", energy_text(r)),
        ]
        lines = [
            Content.assemble((f"{name:<14}", "$text-muted"), (value, "bold" if i < 2 else ""))
            for i, (name, value) in enumerate(rows)
        ]
        self.query_one("#figures", Static).update(Content("\n").join(lines))
        skip = ("no price", "no power", "no compute", "does not fit")
        notes = [n for n in r.notes if not n.startswith(skip)]
        note_text = Content("\n").join(
            Content.styled(
                f"! {n.split(' (')[0] if 'estimate' not in n else estimate_note(n)}",
                "$text-warning",
            )
            for n in notes[:3]
        )
        self.query_one("#notes", Static).update(note_text)
        self.query_one("#notes", Static).display = bool(notes)

    def _show_compare(self, a: SizingReport, b: SizingReport) -> None:
        table = self.query_one("#compare-table", DataTable)
        table.clear(columns=True)
        width = max(table.size.width, 40)
        col = max(12, (width - 12 - 6) // 2)
        table.add_column(Text(""), key="metric", width=12)
        table.add_column(Text(short_name(a.device), style="bold"), key="a", width=col)
        table.add_column(Text(short_name(b.device), style="bold"), key="b", width=col)
        for row in compare_rows(a, b):
            table.add_row(*row)

    def _show_steps(self, r: SizingReport) -> None:
        lines = []
        for n, step in enumerate(r.steps, 1):
            formula, sep, result = step.rpartition(" = ")
            body = (
                Content.assemble(formula + sep, (result, "bold $text-accent"))
                if sep
                else Content(step)
            )
            lines.append(Content.assemble((f"{n:>2}. ", "$text-muted"), body))
        for note in r.notes:
            lines.append(Content.styled(f" ·  {note}", "$text-muted italic"))
        self.query_one("#steps-text", Static).update(Content("\n").join(lines))

    # -- actions -------------------------------------------------------------------
    def action_quiz_me(self) -> None:
        """Ask about the scenario on screen: its weight size, or whether it fits."""
        if self.report is None:
            self.notify("Fix the form first.", severity="warning")
            return
        kind: QuizKind = "weights" if self._quiz_count % 2 == 0 else "fits"
        self._quiz_count += 1
        self.app.push_screen(ScenarioQuizScreen(scenario_prompt(self.report, kind)))

    def action_reset_form(self) -> None:
        s = DEFAULT_SCENARIO
        for key in ("model", "fmt", "device", "compare"):
            self.query_one(f"#{key}", Select).value = getattr(s, key)
        self.query_one("#context", Input).value = str(s.context)
        self.query_one("#batch", Input).value = str(s.batch)
        self.query_one("#gpus", Input).value = ""

    def action_focus_steps(self) -> None:
        self.query_one("#steps", VerticalScroll).focus()
