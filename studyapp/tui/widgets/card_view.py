"""One widget per card kind: the question, how to answer it, and the revealed answer.

The widgets only present; the review screen owns the session, grading and saving.
All note text is wrapped in :class:`~textual.content.Content` (or goes through the
``Markdown`` widget), never parsed as Textual markup.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Markdown, Static

from studyapp.core.model import GradeResult, Prompt
from studyapp.tui.widgets.table_context import TableContext

__all__ = ["CalcCard", "CardPanel", "NoteCard", "TableCard", "card_for"]

LETTERS = "abcd"


def choice_hint(count: int) -> str:
    """The keys that choose among ``count`` options (a 3-option card must not say a-d)."""
    count = max(1, min(count, len(LETTERS)))
    return f"a-{LETTERS[count - 1]} or 1-{count} to choose" if count > 1 else "a or 1 to choose"


class CardPanel(Vertical):
    """Base of the card widgets: context line and question."""

    DEFAULT_CSS = """
    CardPanel { height: auto; padding: 0 1; }
    CardPanel .card-context { color: $text-muted; }
    CardPanel .card-question { text-style: bold; color: $text; padding: 0 1; border-left: thick $accent; margin-bottom: 1; }
    CardPanel .card-hint { color: $text-muted; text-style: italic; margin-top: 1; }
    CardPanel .card-option { padding: 0 1; }
    CardPanel .card-option.-correct { background: $success 30%; text-style: bold; }
    CardPanel .card-option.-wrong { background: $error 30%; text-style: strike; }
    CardPanel .card-verdict { margin: 1 0 0 0; padding: 0 1; text-style: bold; }
    CardPanel .card-verdict.-correct { color: $success; border-left: thick $success; }
    CardPanel .card-verdict.-wrong { color: $error; border-left: thick $error; }
    CardPanel .card-section { color: $primary; text-style: bold; margin-top: 1; }
    CardPanel .card-worked { color: $text; padding: 0 2; }
    CardPanel Input { margin: 0 0 1 0; width: 1fr; max-width: 60; }
    CardPanel Markdown { margin: 0; padding: 0 1; background: $surface; }
    """

    class Answered(Message):
        """The user submitted a typed answer (``response`` may be empty: "don't know")."""

        def __init__(self, response: str) -> None:
            super().__init__()
            self.response = response

    def __init__(self, prompt: Prompt, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.prompt = prompt

    def compose_head(self) -> ComposeResult:
        if self.prompt.context and self.prompt.context != self.prompt.question:
            yield Static(Content(self.prompt.context), classes="card-context")
        yield Static(Content(self.prompt.question), classes="card-question", id="question")

    def compose_answer_input(self) -> ComposeResult:
        """Options (a-d) for choice prompts, an Input for typed/numeric/yes-no ones."""
        if self.prompt.answer_mode == "choice":
            for i, option in enumerate(self.prompt.options):
                key = f"{LETTERS[i]}  " if i < len(LETTERS) else "   "
                yield Static(
                    Content.assemble((key, "bold $accent"), option),
                    classes="card-option",
                    id=f"option-{i}",
                )
            yield Static(
                Content(choice_hint(len(self.prompt.options))), classes="card-hint", id="hint"
            )
        else:
            yield Input(placeholder=self.placeholder(), id="answer", select_on_focus=False)
            yield Static(
                Content("enter to check · empty = don't know"), classes="card-hint", id="hint"
            )

    def placeholder(self) -> str:
        mode = self.prompt.answer_mode
        if mode == "yesno":
            return "yes / no  (是 / 否)"
        unit = str(self.prompt.data.get("unit", "") or "")
        if mode == "numeric":
            return f"a number with its unit, e.g. 12.5 {unit}".rstrip()
        return "type the answer"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.disabled = True
        self.post_message(self.Answered(event.value))

    def focus_answer(self) -> None:
        for answer in self.query("#answer"):
            answer.focus()

    def show_verdict(self, result: GradeResult | None, chosen: int | None) -> None:
        """Mark the options and say right or wrong."""
        if result is None:
            return
        for hint in self.query("#hint"):
            hint.remove()
        for i in range(len(self.prompt.options)):
            option = self.query_one(f"#option-{i}", Static)
            option.set_class(i == self.prompt.correct_option, "-correct")
            option.set_class(i == chosen and i != self.prompt.correct_option, "-wrong")
        if result.correct:
            text = Content.assemble("✓ correct — ", self.prompt.expected)
        else:
            text = Content.assemble("✗ wrong — answer: ", self.prompt.expected)
        verdict = Static(
            text, classes="card-verdict " + ("-correct" if result.correct else "-wrong")
        )
        self.mount(verdict)
        if result.feedback and result.feedback != f"正确答案：{result.expected}":
            self.mount(Static(Content(result.feedback), classes="card-hint"))

    def reveal(self, result: GradeResult | None, chosen: int | None = None) -> None:
        raise NotImplementedError


class NoteCard(CardPanel):
    """A note's question; ``reveal`` renders only its standard-answer section."""

    def compose(self) -> ComposeResult:
        yield from self.compose_head()
        yield Static(
            Content("space — show the standard answer · 先自己回答，再看标准答案"),
            classes="card-hint",
            id="hint",
        )

    def reveal(self, result: GradeResult | None = None, chosen: int | None = None) -> None:
        for hint in self.query("#hint"):
            hint.remove()
        self.mount(Static(Content("标准答案 · standard answer"), classes="card-section"))
        self.mount(Markdown(self.prompt.expected or "_(no answer section)_", id="answer-markdown"))


class TableCard(CardPanel):
    """A table cell (or "which column") question; the table is shown after answering."""

    def compose(self) -> ComposeResult:
        yield from self.compose_head()
        yield from self.compose_answer_input()

    def reveal(self, result: GradeResult | None, chosen: int | None = None) -> None:
        self.show_verdict(result, chosen)
        correct = result.correct if result is not None else True
        context = TableContext(self.prompt.data, correct=correct, id="table-context")
        self.mount(context)
        self.call_after_refresh(context.scroll_visible, animate=False)


class CalcCard(CardPanel):
    """A sizing drill: a numeric / yes-no / choice answer, then the worked solution."""

    def compose(self) -> ComposeResult:
        yield from self.compose_head()
        yield from self.compose_answer_input()

    def reveal(self, result: GradeResult | None, chosen: int | None = None) -> None:
        self.show_verdict(result, chosen)
        if self.prompt.worked:
            self.mount(Static(Content("worked solution · 解题步骤"), classes="card-section"))
            worked = Static(
                Content("\n".join(f"• {step}" for step in self.prompt.worked)),
                classes="card-worked",
                id="worked",
            )
            self.mount(worked)
            self.call_after_refresh(worked.scroll_visible, animate=False)


def card_for(prompt: Prompt, **kwargs: object) -> CardPanel:
    """The widget presenting ``prompt``."""
    cls = {"note": NoteCard, "table": TableCard}.get(prompt.kind, CalcCard)
    return cls(prompt, **kwargs)
