"""The line-based review and quiz loops (``review --plain``, ``quiz --plain``).

For scripts, screen readers and dumb terminals: every prompt is plain text on stdout,
every answer one line on stdin, so a session can be driven by piping text in.  End
of input ends the session cleanly; everything answered so far is already saved.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

from studyapp.core.model import GradeResult, Prompt
from studyapp.core.printable import printable
from studyapp.core.quiz import grade_response, make_prompt
from studyapp.core.srs import GRADE_LABELS
from studyapp.services.review import CardView


@dataclass
class Io:
    inp: TextIO = field(default_factory=lambda: sys.stdin)
    out: TextIO = field(default_factory=lambda: sys.stdout)

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, prompt: str) -> str | None:
        """One line of input, or ``None`` at end of input."""
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            self.out.write("\n")
            return None
        return line.rstrip("\r\n")


def new_seed() -> int:
    return random.SystemRandom().randrange(1, 2**31)


def present(io: Io, view: CardView, position: str, *, typed: bool) -> tuple[Prompt, float]:
    """Print a card's prompt; returns it with the time it was shown."""
    prompt = make_prompt(view.kind, view.payload, new_seed(), context=view.note_title, typed=typed)
    where = printable(view.note_path or "calc deck")
    io.say("")
    io.say(f"── {position} · {view.kind} · {where}")
    if prompt.context and prompt.context != prompt.question:
        io.say(prompt.context)
    io.say(f"Q: {prompt.question}")
    for i, option in enumerate(prompt.options, 1):
        io.say(f"  {i}) {option}")
    return prompt, time.monotonic()


def ask_grade(io: Io) -> int | None:
    """Read a grade 0-5 for a self-graded card (re-asks on anything else)."""
    labels = "  ".join(f"{g}={GRADE_LABELS[g].split(' / ')[0]}" for g in range(5, -1, -1))
    while True:
        line = io.ask(f"grade ({labels}): ")
        if line is None:
            return None
        line = line.strip()
        if line in {"0", "1", "2", "3", "4", "5"}:
            return int(line)
        io.say("please type a grade from 0 to 5")


def preview_line(intervals: Sequence[str]) -> str:
    """What each grade would schedule, like Anki's answer buttons: ``5 perfect · 15d``."""
    return "next interval: " + "  ".join(
        f"{g} {GRADE_LABELS[g].split(' / ')[0]} · {intervals[g]}" for g in range(5, -1, -1)
    )


def reveal(io: Io, prompt: Prompt, result: GradeResult | None) -> None:
    if result is not None:
        mark = "✓ correct" if result.correct else "✗ wrong"
        io.say(f"{mark} — answer: {result.expected}")
        if result.feedback:
            io.say(result.feedback)
    else:
        io.say("A:")
        for line in prompt.expected.splitlines():
            io.say(f"  {line}")
    for step in prompt.worked:
        io.say(f"  · {step}")


@dataclass
class Answer:
    grade: int
    response: str
    correct: bool | None
    elapsed_ms: int
    seed: int


def run_card(
    io: Io, view: CardView, position: str, *, typed: bool, preview: str | None = None
) -> Answer | None:
    """Present one card, read the answer and the grade; ``None`` at end of input.

    ``preview``: a line shown with the answer, before the grade is asked (the
    intervals each grade would give, or why none reschedules).
    """
    prompt, shown = present(io, view, position, typed=typed)
    hint = "answer" if prompt.answer_mode != "self" else "your answer (enter to reveal)"
    response = io.ask(f"{hint}> ")
    if response is None:
        return None
    elapsed_ms = int((time.monotonic() - shown) * 1000)
    result = grade_response(prompt, response, elapsed_ms)
    reveal(io, prompt, result)
    if preview:
        io.say(preview)
    if result is None:
        grade = ask_grade(io)
        if grade is None:
            return None
        return Answer(grade, response, None, elapsed_ms, prompt.seed)
    io.say(f"grade {result.grade} ({GRADE_LABELS[result.grade]})")
    return Answer(result.grade, response, result.correct, elapsed_ms, prompt.seed)
