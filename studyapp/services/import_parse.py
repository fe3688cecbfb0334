"""Parsing notes for the import, on every core.

Runs in worker processes: a note is parsed once per change of its content and its
cards are derived and JSON-encoded there, so what crosses the process boundary is
small and the importing process only writes.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace

from studyapp.core.cards import compact_cards_for_note
from studyapp.core.frontmatter_io import sha256_hex
from studyapp.core.model import CardSpec, NoteError, ParsedNote
from studyapp.core.notefile import parse_note
from studyapp.core.safe_yaml import one_line
from studyapp.core.sizing.calc_cards import calc_note_link
from studyapp.core.table_store import encode_tables

#: Below this many files to parse, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 64
#: Seconds one note may take to parse and turn into cards; past it, the note is
#: reported and skipped and the import goes on.  The limits in
#: :mod:`studyapp.core.notefile` keep every note under 5 MB far below it (about 2 s
#: at worst on a slow machine); this is the backstop for what they do not foresee.
NOTE_TIME_BUDGET_S = 5.0
#: Cards kept per note (note card first); the notefile limits make more unlikely.
MAX_CARDS_PER_NOTE = 6_000


class _OverBudget(BaseException):  # not swallowed by a library's "except Exception"
    """Raised by the alarm inside a parse that ran past :data:`NOTE_TIME_BUDGET_S`."""


@contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` where a POSIX interval timer can (main thread).

    Elsewhere (a TUI worker thread, Windows) the caller's check after the parse still
    rejects the note; the notefile limits keep that parse bounded.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def alarm(_signum: int, _frame: object) -> None:
        raise _OverBudget

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


__all__ = [
    "MAX_CARDS_PER_NOTE",
    "NOTE_TIME_BUDGET_S",
    "PARALLEL_THRESHOLD",
    "EncodedCard",
    "ParseStream",
    "Parsed",
    "parse_file",
]


@dataclass(frozen=True)
class Parsed:
    """What a worker returns for one file."""

    rel_path: str
    sha256: str
    note: ParsedNote | None
    error: str | None
    cards: tuple[EncodedCard, ...] = ()
    about_deployment: bool = False
    exception: str | None = None  # the exception class behind ``error``
    tables_json: str = ""  # the note's tables, stored once (``notes.tables_json``)


#: A card as the worker sends it: ``(kind, anchor, title, payload_json, sibling_key)``.
#:
#: Encoding happens in the worker: a string crosses the process boundary far cheaper
#: than a nested dict, and the main process only has to insert it.  A plain tuple, not
#: a NamedTuple: unpickling ~56 NamedTuples per note (a class call each) cost more
#: than the rest of the result (1k notes: 0.37 -> 0.11 s to pickle and unpickle).
EncodedCard = tuple[str, str, str, str, str]


#: ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` without building an
#: encoder per call (dumps makes a new JSONEncoder whenever it is given options).
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _encode(spec: CardSpec) -> EncodedCard:
    sibling = spec.sibling_key
    if sibling is None:
        sibling = str(spec.payload.get("sibling_key", ""))
    return (
        spec.kind,
        spec.anchor,
        spec.title,
        _dumps(spec.payload),
        sibling,
    )


def parse_file(rel_path: str, data: bytes) -> Parsed:
    """Parse one note and derive its cards (runs in a worker process).

    The returned note drops its sections and tables (already turned into cards), so
    what is sent back to the importing process stays small.
    """
    digest = sha256_hex(data)
    budget = NOTE_TIME_BUDGET_S
    started = time.perf_counter()
    try:
        with _time_budget(budget):
            note = parse_note(rel_path, data)
            tables, specs = compact_cards_for_note(note)
            if len(specs) > MAX_CARDS_PER_NOTE:
                note = replace(
                    note,
                    warnings=(
                        *note.warnings,
                        f"{len(specs)} cards: only the first {MAX_CARDS_PER_NOTE} are kept",
                    ),
                )
                specs = specs[:MAX_CARDS_PER_NOTE]
            cards = tuple(_encode(spec) for spec in specs)
            about = calc_note_link(note)
            tables_json = encode_tables(tables)
        if time.perf_counter() - started > budget:
            raise _OverBudget
    except _OverBudget:
        problem = f"took more than {budget:g} s to parse; skipped (split the note?)"
        return Parsed(rel_path, digest, None, problem, exception="TimeoutError")
    except NoteError as exc:
        return Parsed(rel_path, digest, None, exc.problem, exception="NoteError")
    except Exception as exc:  # one note's bug must not stop the import
        name = type(exc).__name__
        detail = one_line(str(exc))[:120]
        problem = f"cannot be parsed ({name}: {detail})" if detail else f"cannot be parsed ({name})"
        return Parsed(rel_path, digest, None, problem, exception=name)
    slim = replace(note, sections=(), tables=())
    return Parsed(rel_path, digest, slim, None, cards, about, tables_json=tables_json)


def _worker_start() -> None:
    """Set up a parse worker: fewer cyclic-GC passes.

    Parsing allocates many short-lived objects (tokens, cell analyses) and few cycles;
    at the default threshold (700) the collector ran ~14,000 times per 1,000 notes and
    cost 8% of the workers' CPU.  What the worker inherited from the importing process
    is frozen (never scanned again); memory stays bounded (a pass every 50,000 objects).
    """
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def _parse_batch(items: list[tuple[str, bytes]]) -> list[Parsed]:
    return [parse_file(rel, data) for rel, data in items]


class ParseStream:
    """Files handed to a pool of parse workers as they are read, results in input order.

    The importer reads each file (and checks it is a regular file within the size
    limit) in its own process; handing over batches as it goes lets the workers start
    on the first files while it reads the rest (reading 10,000 notes is ~0.3 s that
    left both cores idle).  Batches shrink towards the end (``expected`` is the number
    of files the caller may add), so the two workers finish together instead of one
    parsing a last 64-note batch alone.

    Below :data:`PARALLEL_THRESHOLD` files, or on one core, files are parsed in this
    process when results are read.  Use as a context manager or call :meth:`close`.
    """

    def __init__(self, expected: int, workers: int | None = None) -> None:
        self.cpus = workers if workers is not None else (os.cpu_count() or 1)
        self.expected = expected
        self.parallel = expected >= PARALLEL_THRESHOLD and self.cpus > 1
        self._batch: list[tuple[str, bytes]] = []
        self._serial: list[tuple[str, bytes]] = []
        self._futures: list[Future[list[Parsed]]] = []
        self._submitted = 0
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParseStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _chunk(self) -> int:
        """Guided batch size: a share of what is left, between 8 and 64 files."""
        left = max(0, self.expected - self._submitted)
        return max(8, min(64, left // (self.cpus * 4)))

    def add(self, rel_path: str, data: bytes) -> None:
        if not self.parallel:
            self._serial.append((rel_path, data))
            return
        self._batch.append((rel_path, data))
        if len(self._batch) >= self._chunk():
            self._submit()

    def _submit(self) -> None:
        if not self._batch:
            return
        if self._pool is None:
            import multiprocessing

            context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self.cpus, mp_context=context, initializer=_worker_start
            )
        self._futures.append(self._pool.submit(_parse_batch, self._batch))
        self._submitted += len(self._batch)
        self._batch = []

    def results(self) -> Iterator[Parsed]:
        """Every added file's result, in the order added (call once, after the last add)."""
        self._submit()
        for rel, data in self._serial:
            yield parse_file(rel, data)
        for future in self._futures:
            yield from future.result()

    def close(self) -> None:
        if self._pool is not None:
            for future in self._futures:
                future.cancel()
            self._pool.shutdown(wait=True)
            self._pool = None
