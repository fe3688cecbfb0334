"""Today's queue as a lazily read sequence: the exact length up front, windows on demand.

Split from :mod:`studyapp.services.queue` (which builds it): the view holds no database
handle of its own, only the core spreader that pulls windows through the callable the
queue gives it, so it can be read and tested apart from the SQL that feeds it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any, overload

from studyapp.core.session import LazySpread, QueueItem, note_key, spread

__all__ = ["QueueView"]

#: Due rows in the first window of the lazy due queue (read up front); each later window
#: is twice the one before, so reading a whole 33k-card day takes 7 reads, not 65.
_WINDOW = 512


def _items(rows: list[tuple[Any, ...]], days: dict[str, date]) -> list[QueueItem]:
    """Driver rows (id, note id, kind, ISO due day, sibling key) -> QueueItems.

    Each distinct due day is parsed once (``days`` is kept across windows), and the items
    are made with ``tuple.__new__`` directly: what QueueItem's generated ``__new__``
    does, without its Python frame per row.
    """
    make = tuple.__new__
    return [
        make(
            QueueItem,
            (cid, nid, k, days.get(d) or days.setdefault(d, date.fromisoformat(d)), sk, ""),
        )
        for cid, nid, k, d, sk in rows
    ]


class QueueView(Sequence[QueueItem]):
    """Today's queue, read window by window: due reviews (spread), then the new cards.

    Holds the exact number of cards (from counts over the queue index) and the new cards
    (few: the day's limit); the due reviews are read from the card index in windows of
    ``_WINDOW`` rows and more, oldest due first, as they are asked for.  Burying and spreading
    work on the windows with the same result as on the whole list
    (:class:`~studyapp.core.queue_order.LazySpread`, :func:`~studyapp.core.queue_order.bury_into`),
    so the items, read in full, are exactly the full queue's: ``tests/db/test_queue_window.py``.
    Reads after the first window see the collection as it is then: cards answered,
    buried or suspended meanwhile (after the window) are not served.
    """

    def __init__(
        self,
        due: LazySpread,
        due_total: int,
        new: list[QueueItem],
        kinds: Callable[[], Counter[str]],
        *,
        whole: bool = False,
    ) -> None:
        self._due = due
        # Every due card is read already (a small day): spread all of them at the first
        # read, with _spread itself (the dashboard only counts them, and never does).
        self._whole = whole
        self._due_total = due_total
        self._new = new
        self._all: list[QueueItem] | None = None
        self._kinds = kinds
        self._lock = threading.RLock()

    def __len__(self) -> int:
        if self._all is not None:
            return len(self._all)  # everything read: the reviews and the new cards
        due = len(self._due.out) if self._due.done else self._due_total
        return due + len(self._new)

    def _ensure(self, n: int | None) -> list[QueueItem]:
        """The items read so far, at least ``n`` of them (None: all) where there are."""
        with self._lock:
            due = self._due
            if n is None or self._whole:
                due.finish()
            elif n > len(due.out):
                due.extend_to(n)
            if due.done and self._all is None:
                # The new cards, spread after the last review (build_queue's seam), once.
                self._all = due.out  # from now on the whole queue
                due.out.extend(spread(self._new, due.prev_key, key_of=note_key))
            return due.out

    @overload
    def __getitem__(self, index: int) -> QueueItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[QueueItem]: ...

    def __getitem__(self, index: int | slice) -> QueueItem | list[QueueItem]:
        if isinstance(index, slice):
            stop, step = index.stop, index.step or 1
            if step < 0 or stop is None or stop < 0 or (index.start or 0) < 0:
                return self._ensure(None)[index]
            return self._ensure(stop)[index]
        if index < 0:
            return self._ensure(None)[index]
        items = self._ensure(index + 1)
        if index >= len(items):
            raise IndexError("queue index out of range")
        return items[index]

    def __iter__(self) -> Iterator[QueueItem]:
        i = 0
        while True:
            items = self._ensure(i + _WINDOW)
            if i >= len(items):
                return
            yield from items[i:]
            i = len(items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (QueueView, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"QueueView({len(self)} cards)"

    def kind_counts(self) -> Counter[str]:
        """Cards per kind in the whole queue, without ordering it."""
        with self._lock:
            if self._due.done:
                return Counter(i.kind for i in self._ensure(None))
        out = self._kinds()
        out.update(i.kind for i in self._new)
        return out
