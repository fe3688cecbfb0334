"""Deterministic cost for tests: count the Python lines a call runs, never the clock.

The project rule is that no test asserts a time (speed is measured in ``bench/``): a
timed assert is flaky on a loaded machine and proves nothing on a fast one.  What a
timing used to guard (a quadratic loop, an alias bomb expanded, a pathological input
walked again and again) shows as *work*, and work is counted here: the number of
line events the tracer sees in frames of the given modules.  For one input and one
version of the code the count is the same on every machine, so a test asserts that it
grows linearly with the input (ratio of two sizes) or stays under a multiple of the
input's size.

Work done in C (a regex, a list copy, libyaml) is not counted: tests that need to bound
it count calls of the function that does it instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["TooManyLines", "lines_run"]


class TooManyLines(BaseException):  # not caught by the code under test's ``except Exception``
    """The call ran more lines than the ``limit`` given to :func:`lines_run`."""


def lines_run(fn: Callable[[], T], *modules: ModuleType, limit: int | None = None) -> tuple[T, int]:
    """``fn()`` and the number of Python lines it ran inside ``modules`` (callees included).

    Lines in other modules (the standard library, markdown-it...) are not counted and
    not traced, so the count only moves when the code under test does more work.  Past
    ``limit`` lines the call is stopped with :class:`TooManyLines`: a runaway (a bomb
    expanded) fails the test at once instead of running for hours.
    """
    files = {m.__file__ for m in modules}
    count = 0
    stop = limit if limit is not None else -1

    def local(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        nonlocal count
        if event == "line":
            count += 1
            if count == stop:
                raise TooManyLines(f"more than {limit} lines run")
        return local

    def enter(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        return local if frame.f_code.co_filename in files else None

    previous = sys.gettrace()
    sys.settrace(enter)
    try:
        result = fn()
    finally:
        sys.settrace(previous)
    return result, count
