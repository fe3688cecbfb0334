"""The sizing calculator: the sizing engine made interactive.

Pick a model, a weight format and a device, type a context, batch and GPU count, and
every figure is recomputed at once (one scenario costs well under a millisecond, pure
Python, no database): the memory breakdown against usable memory, whether it fits,
the minimum tensor-parallel degree, decode speed, time to first token, cost and
energy per token, a side-by-side with a second device, and the worked steps.  ``x``
turns the current scenario into a question graded like a calc card.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static

from studyapp.core.model import Prompt
from studyapp.core.sizing.calc_grade import grade_calc
from studyapp.core.sizing.catalog import Device, load_catalog
from studyapp.core.sizing.report import SizingReport, size_report
from studyapp.core.sizing.units import GB, fmt_bytes, fmt_num
from studyapp.tui.context import AppContext
from studyapp.tui.widgets.bars import Bar, HBars

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


def short_name(device: Device) -> str:
    """'iPhone 15 Pro (A17 Pro, 8 GB)' -> 'iPhone 15 Pro'; column headers are narrow."""
    return device.name.split(" (")[0].removeprefix("NVIDIA ")


def _device_label(device: Device) -> Text:
    where = "edge " if device.is_edge else "cloud"
    return Text.assemble((where, "dim"), " ", device.name)


def _num(value: float, unit: str = "", digits: int = 3) -> str:
    return "n/a" if math.isnan(value) else f"{fmt_num(value, digits)}{unit}"


def _gb(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{fmt_num(value / GB)} GB"


def _tps_range(r: SizingReport) -> str:
    f = r.figures
    return f"{_num(f['tokens_per_s_low'])}–{_num(f['tokens_per_s_high'])}"


def _cost(r: SizingReport) -> str:
    f = r.figures
    if r.device.price_usd_per_gpu_hour is None:
        return "no public price"
    return f"${_num(f['cost_per_1k_usd_bound'])} (${_num(f['cost_per_1k_usd_high'])}–${_num(f['cost_per_1k_usd_low'])})"


def _energy(r: SizingReport) -> str:
    if r.device.tdp_w is None:
        return "no power figure"
    return f"{_num(r.figures['energy_j_per_token_bound'])} J (TDP bound)"


def _ttft(r: SizingReport) -> str:
    ttft = r.figures["ttft_s"]
    if math.isnan(ttft):
        return "n/a (no FLOPS figure)"
    return f"{fmt_num(ttft * 1e3)} ms" if ttft < 1 else f"{fmt_num(ttft)} s"


def _min_gpus(r: SizingReport) -> str:
    if r.gpus_min:
        return f"{r.gpus_min} (tensor parallel)" if r.gpus_min > 1 else "1"
    return f"none ≤ {r.device.profile.max_tp}"


def _estimate(note: str) -> str:
    """'X (long source): bandwidth 51.2 GB/s is an estimate (...)' -> 'bandwidth 51.2 GB/s is an estimate'."""
    _, _, rest = note.partition("): ")
    return (rest or note).split(" (")[0]


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
        device_opts = [(_device_label(d), d.id) for d in devices]
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
                        "Context", Input(str(s.context), type="integer", compact=True, id="context")
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
            value = int(text)
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
                Content.styled("Fix the highlighted field (a positive whole number).", "$warning")
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
            tail = f"  headroom {_gb(f['headroom_bytes'])}"
        else:
            head = Content.styled(" ✗ DOES NOT FIT ", "bold $text-error on $error-muted")
            tail = f"  short by {_gb(-f['headroom_bytes'])}"
        line1 = Content.assemble(head, (tail, "bold"))
        self.query_one("#verdict", Static).update(
            Content("\n").join([line1, Content.styled(where, "$text-muted")])
        )

    def _show_breakdown(self, r: SizingReport) -> None:
        f = r.figures
        parts = [
            Bar("weights", f["weights_per_gpu_bytes"], _gb(f["weights_per_gpu_bytes"]), "primary"),
            Bar("KV cache", f["kv_per_gpu_bytes"], _gb(f["kv_per_gpu_bytes"]), "accent"),
            Bar("activations", f["activation_bytes"], _gb(f["activation_bytes"]), "secondary"),
            Bar("overhead", f["overhead_bytes"], _gb(f["overhead_bytes"]), "warning"),
            Bar(
                "total",
                f["need_per_gpu_bytes"],
                _gb(f["need_per_gpu_bytes"]),
                "success" if r.fits else "error",
            ),
            Bar("usable", f["usable_bytes"], _gb(f["usable_bytes"]), "success"),
        ]
        scale = max(f["need_per_gpu_bytes"], f["usable_bytes"])
        self.query_one("#breakdown", HBars).update(parts, scale=scale, limit=f["usable_bytes"])

    def _show_figures(self, r: SizingReport) -> None:
        f = r.figures
        regime = ""
        if not math.isnan(f["ridge_flop_per_byte"]):
            regime = " · memory-bound" if f["memory_bound"] == 1.0 else " · compute-bound"
        rows = [
            ("min GPUs", _min_gpus(r)),
            ("decode bound", f"{_num(f['tokens_per_s_bound'])} tok/s{regime}"),
            ("realistic", f"{_tps_range(r)} tok/s (MBU 35–87%)"),
            ("first token", _ttft(r)),
            ("cost / 1K tok", _cost(r)),
            ("energy / tok", _energy(r)),
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
                f"! {n.split(' (')[0] if 'estimate' not in n else _estimate(n)}", "$text-warning"
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

        def fits(r: SizingReport) -> Text:
            if r.fits:
                return Text(f"✓ on {r.gpus}", style="bold green")
            return Text(f"✗ on {r.gpus}", style="bold red")

        rows: list[tuple[str, Text | str, Text | str]] = [
            ("memory", f"{fmt_num(a.device.mem_gb)} GB", f"{fmt_num(b.device.mem_gb)} GB"),
            ("usable", _gb(a.figures["usable_bytes"]), _gb(b.figures["usable_bytes"])),
            (
                "needs/device",
                _gb(a.figures["need_per_gpu_bytes"]),
                _gb(b.figures["need_per_gpu_bytes"]),
            ),
            ("fits", fits(a), fits(b)),
            ("min GPUs", _min_gpus(a), _min_gpus(b)),
            (
                "tok/s bound",
                _num(a.figures["tokens_per_s_bound"]),
                _num(b.figures["tokens_per_s_bound"]),
            ),
            ("tok/s real", _tps_range(a), _tps_range(b)),
            ("first token", _ttft(a).split(" (")[0], _ttft(b).split(" (")[0]),
            ("$ / 1K tok", _short_cost(a), _short_cost(b)),
            ("J / tok", _short_energy(a), _short_energy(b)),
        ]
        for name, x, y in rows:
            table.add_row(
                Text(name, style="dim"),
                x if isinstance(x, Text) else Text(x),
                y if isinstance(y, Text) else Text(y),
            )

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
        kind = "weights" if self._quiz_count % 2 == 0 else "fits"
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


def _short_cost(r: SizingReport) -> str:
    if r.device.price_usd_per_gpu_hour is None:
        return "no public price"
    return f"${_num(r.figures['cost_per_1k_usd_bound'])}"


def _short_energy(r: SizingReport) -> str:
    if r.device.tdp_w is None:
        return "n/a"
    return _num(r.figures["energy_j_per_token_bound"])


QuizKind = Literal["weights", "fits"]


def scenario_prompt(r: SizingReport, kind: QuizKind) -> Prompt:
    """The scenario on screen as a calc-card prompt, graded by :func:`grade_calc` like any calc card."""
    f = r.figures
    setup = (
        f"{r.model.name} (P = {r.params_total:,}) · {r.fmt.name} ({r.fmt.bpw:g} bpw)"
        f" · context {r.context} · batch {r.batch}"
    )
    if kind == "weights":
        return Prompt(
            kind="calc",
            question=f"{setup}\n权重需要多少 GB? How many GB do the weights take? (GB = 1e9 bytes)",
            answer_mode="numeric",
            expected=fmt_bytes(f["weights_bytes"]),
            seed=0,
            context="calculator",
            worked=r.steps[:2],
            data={
                "value": f["weights_bytes"],
                "tolerance": 0.05,
                "unit_kind": "bytes",
                "unit": "GB",
            },
        )
    usable = r.device.profile.usable_fraction
    return Prompt(
        kind="calc",
        question=(
            f"{setup}\n能在 {r.gpus} × {r.device.name} 上运行吗? Does it fit?"
            f" (usable = {usable:g} × {fmt_num(r.device.mem_gb)} GB) 回答 是/否 (yes/no)"
        ),
        answer_mode="yesno",
        expected="是 (fits)" if r.fits else "否 (does not fit)",
        seed=0,
        context="calculator",
        worked=r.steps[:5],
        data={"value": r.fits, "tolerance": 0.0},
    )


class ScenarioQuizScreen(ModalScreen[bool | None]):
    """One question about the calculator's scenario; dismisses with whether it was right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="calc.quiz.close")
    ]

    DEFAULT_CSS = """
    ScenarioQuizScreen { align: center middle; }
    #quiz-box {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    #quiz-box .title { text-style: bold; color: $accent; }
    #quiz-answer { margin: 1 0; }
    #quiz-result { height: auto; }
    #quiz-worked { height: auto; max-height: 14; }
    """

    def __init__(self, prompt: Prompt) -> None:
        super().__init__()
        self.prompt = prompt
        self.started = time.monotonic()
        self.result: bool | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="quiz-box"):
            yield Label("Quiz: this scenario", classes="title")
            yield Static(Content(self.prompt.question), id="quiz-question")
            placeholder = (
                "e.g. 4.2 GB" if self.prompt.answer_mode == "numeric" else "是 / 否 (yes / no)"
            )
            yield Input(placeholder=placeholder, id="quiz-answer")
            yield Static(id="quiz-result")
            with VerticalScroll(id="quiz-worked"):
                yield Static(id="quiz-steps")

    def on_mount(self) -> None:
        self.query_one("#quiz-worked").display = False

    @on(Input.Submitted, "#quiz-answer")
    def grade_answer(self, event: Input.Submitted) -> None:
        if self.result is not None:
            self.dismiss(self.result)
            return
        elapsed = int((time.monotonic() - self.started) * 1000)
        graded = grade_calc(self.prompt, event.value, elapsed)
        self.result = graded.correct
        if graded.correct:
            verdict = Content.styled(" ✓ correct ", "bold $text-success on $success-muted")
        else:
            verdict = Content.styled(" ✗ not quite ", "bold $text-error on $error-muted")
        detail = f"  expected {graded.expected}"
        if graded.feedback:
            detail += f" · {graded.feedback}"
        self.query_one("#quiz-result", Static).update(
            Content.assemble(verdict, detail, ("\n(enter or esc to close)", "$text-muted"))
        )
        steps = Content("\n").join(
            Content.assemble((f"{n}. ", "$text-muted"), step)
            for n, step in enumerate(self.prompt.worked, 1)
        )
        self.query_one("#quiz-steps", Static).update(steps)
        self.query_one("#quiz-worked").display = True

    def action_close(self) -> None:
        self.dismiss(self.result)
