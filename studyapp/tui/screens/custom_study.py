"""``m`` on the dashboard: study more today (extra new cards, review ahead, one tag/folder).

A small form in a modal; it returns a :class:`CustomStudy` (or ``None``) and the app
opens the review for it.  The meaning of each choice, and why none of them bends the
daily limits, is in :mod:`studyapp.services.custom_study`.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioSet, Static

from studyapp.services.custom_study import CustomStudy
from studyapp.tui.widgets.check import ClearRadioButton

__all__ = ["CustomStudyScreen"]

CHOICES: tuple[tuple[str, str], ...] = (
    ("new", "N more new cards today · 今天多学 N 张新卡"),
    ("ahead", "review ahead: cards due in the next N days · 提前复习"),
    ("scope", "one tag or folder now (N new at most) · 只学某标签/文件夹"),
)


def count_ok(text: str) -> bool:
    return text.isdigit() and int(text) >= 1


class CustomStudyScreen(ModalScreen[CustomStudy | None]):
    """Pick how to study more; enter starts, escape cancels."""

    CSS_PATH = "custom_study.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel", id="custom.cancel"),
        Binding("ctrl+s", "start", "start", id="custom.start"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="custom-box"):
            yield Label(Content("Study more today · 自定义学习"), id="custom-title")
            with RadioSet(id="custom-kind"):
                for i, (_kind, label) in enumerate(CHOICES):
                    yield ClearRadioButton(Content(label), value=i == 0)
            with Horizontal(classes="custom-row"):
                yield Label(Content("N"), classes="custom-label")
                yield Input("10", restrict=r"[0-9]*", max_length=4, compact=True, id="custom-n")
            with Horizontal(classes="custom-row"):
                yield Label(Content("tag"), classes="custom-label")
                yield Input(placeholder="e.g. 精通大模型压缩技术", compact=True, id="custom-tag")
            with Horizontal(classes="custom-row"):
                yield Label(Content("folder"), classes="custom-label")
                yield Input(placeholder="e.g. 压缩", compact=True, id="custom-folder")
            yield Static(id="custom-error")
            with Horizontal(id="custom-buttons"):
                yield Button(Content("Start"), variant="primary", id="custom-go")
                yield Button(Content("Cancel"), id="custom-cancel")

    def kind(self) -> str:
        index = self.query_one("#custom-kind", RadioSet).pressed_index
        return CHOICES[max(0, index)][0]

    def read(self) -> CustomStudy | None:
        """The form as a :class:`CustomStudy`, or ``None`` with the reason shown."""
        error = self.query_one("#custom-error", Static)
        text = self.query_one("#custom-n", Input).value.strip()
        tag = self.query_one("#custom-tag", Input).value.strip() or None
        folder = self.query_one("#custom-folder", Input).value.strip() or None
        try:
            count = int(text)
            study = CustomStudy(
                self.kind(),  # type: ignore[arg-type]
                count,
                tag=tag if self.kind() == "scope" else None,
                folder=folder if self.kind() == "scope" else None,
            )
        except ValueError as exc:
            message = "N must be a whole number from 1" if not count_ok(text) else str(exc)
            error.update(Content.styled(message, "$text-error"))
            return None
        error.update("")
        return study

    @on(Button.Pressed, "#custom-go")
    @on(Input.Submitted)
    def action_start(self) -> None:
        study = self.read()
        if study is not None:
            self.dismiss(study)

    @on(Button.Pressed, "#custom-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
