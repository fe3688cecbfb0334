"""``?``: every key of the app and the meaning of each grade."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from studyapp.core.srs import GRADE_LABELS

__all__ = ["HelpScreen", "help_text"]


def _key_name(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    names = {"space": "space", "escape": "esc", "question_mark": "?", "enter": "enter"}
    return ", ".join(names.get(k, k) for k in binding.key.split(","))


def _section(out: Text, title: str, bindings: Iterable[BindingType]) -> None:
    out.append(f"\n{title}\n", style="bold underline")
    seen: set[str] = set()
    for item in bindings:
        if not isinstance(item, Binding) or not item.description:
            continue
        key = _key_name(item)
        if (key, item.description) in seen or item.description in seen:
            continue
        seen.add(item.description)
        out.append(f"  {key:<10}", style="bold")
        out.append(f"{item.description}\n")


def help_text(app_bindings: Iterable[BindingType]) -> Text:
    from studyapp.tui.screens.dashboard import DashboardScreen
    from studyapp.tui.screens.review import ReviewScreen

    out = Text(end="")
    out.append("studyapp — keys\n", style="bold")
    _section(out, "Everywhere", app_bindings)
    _section(out, "Dashboard", DashboardScreen.BINDINGS)
    _section(
        out,
        "Review",
        [b for b in ReviewScreen.BINDINGS if not str(getattr(b, "action", "")).startswith("grade")],
    )
    out.append("\nGrades (SM-2) · 评分\n", style="bold underline")
    for grade in range(5, -1, -1):
        out.append(f"  {grade:<10}", style="bold")
        out.append(f"{GRADE_LABELS[grade]}\n")
    out.append("\nGrades below 4 bring the card back later in the same session.\n", style="dim")
    out.append("ctrl+p opens the command palette (all commands, change theme).\n", style="dim")
    return out


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys; any of escape, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background 60%; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 95%; height: 90%;
        border: round $accent; border-title-color: $accent; border-title-style: bold;
        background: $surface; padding: 0 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "close", id="help.close")
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "Help · ?"
            box.border_subtitle = "escape to close"
            yield Static(help_text(self.app.BINDINGS), id="help-text")
