"""Today's queue order: sibling burying, new-card interleaving and sibling spreading.

Pure functions over :class:`QueueItem` tuples, split out of :mod:`studyapp.core.session`
(which re-exports them) so the in-session state machine and the ordering rules can be
read, and grown, apart: the services layer orders today's cards with these, the session
then serves them.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import NamedTuple

__all__ = [
    "SIBLING_MODES",
    "LazySpread",
    "QueueItem",
    "build_queue",
    "bury_into",
    "bury_key",
    "bury_siblings",
    "interleave_new",
    "note_key",
    "spread",
]

#: ``bury_siblings`` setting values: ``row`` (default) shows at most one card of a table
#: row per study day; ``note`` at most one card of a note per study day (Anki's "bury
#: siblings" with a note as Anki's note); ``off`` buries nothing.
SIBLING_MODES = ("row", "note", "off")


class QueueItem(NamedTuple):
    """One card in the session queue.

    ``sibling_key`` groups cards that give each other away (e.g. cells of the same
    table row); "" means the card has no siblings.  A named tuple rather than a frozen
    dataclass: the queue of a 300k-card collection builds ~33k of them per call, and a
    frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field) cost 45 ms.
    """

    card_id: int
    note_id: int | None
    kind: str
    due: date | None
    sibling_key: str = ""
    folder: str = ""


def note_key(item: QueueItem) -> str:
    """The key that groups a note's cards (calc cards share one deck key)."""
    return f"note:{item.note_id}" if item.note_id is not None else "calc"


def bury_key(item: QueueItem, mode: str) -> str:
    """The key that buries ``item``'s siblings in ``mode`` ("" for none)."""
    return _bury_key(item, mode)


def _bury_key(item: QueueItem, mode: str) -> str:
    if mode == "note":
        return note_key(item)
    if mode == "row":
        # Sibling keys name a row within its note (heading path and row label).
        ok = item.sibling_key and item.kind != "calc" and item.note_id is not None
        return f"{item.note_id}|{item.sibling_key}" if ok else ""
    return ""


def bury_siblings(
    items: Sequence[QueueItem], mode: str, seen_today: Collection[str] = ()
) -> tuple[list[QueueItem], set[str]]:
    """Keep the first card of each sibling group; drop groups already seen today.

    A table row's cells answer each other, so showing two of them in one day turns
    the second into a reading exercise.  ``seen_today`` holds the bury keys
    (``<note id>|<sibling key>`` in ``row`` mode, ``note:<id>`` in ``note`` mode) of cards answered earlier this study day,
    read from the log, so a second session the same day buries them too.  Returns
    the kept items and the keys now taken (``seen_today`` included).
    """
    if mode not in SIBLING_MODES:
        raise ValueError(f"bury_siblings must be one of {SIBLING_MODES}, got {mode!r}")
    taken = set(seen_today)
    kept: list[QueueItem] = []
    for item in items:
        key = _bury_key(item, mode)
        if key and key in taken:
            continue
        if key:
            taken.add(key)
        kept.append(item)
    return kept, taken


def bury_into(items: Iterable[QueueItem], mode: str, taken: set[str]) -> list[QueueItem]:
    """:func:`bury_siblings` for input read in parts: ``taken`` (the keys taken so far,
    today's included) is updated in place, so the parts give what one call over all of
    them gives."""
    if mode not in SIBLING_MODES:
        raise ValueError(f"bury_siblings must be one of {SIBLING_MODES}, got {mode!r}")
    kept: list[QueueItem] = []
    if mode == "off":
        kept.extend(items)
        return kept
    for item in items:
        key = _bury_key(item, mode)
        if key:
            if key in taken:
                continue
            taken.add(key)
        kept.append(item)
    return kept


def interleave_new(
    new: Sequence[QueueItem],
    *,
    limit: int,
    per_note_limit: int,
    used_per_note: Mapping[int, int] | None = None,
    calc_share: float = 0.0,
    bury_mode: str = "row",
    seen_today: Collection[str] = (),
) -> list[QueueItem]:
    """Today's new cards, gathered round-robin across folders, notes and kinds.

    Without it the first notes in import order filled every day (whole folders
    waited weeks).  Notes are ordered by taking one note of each folder in turn
    (folders by name, notes in the given order, i.e. import order); then each round
    takes one card from every note that has not reached ``per_note_limit`` new
    cards today (``used_per_note``: counted from the log).  A note gives its cards in
    the given order (note card first, then its tables in document order), skipping
    cards whose row (or note, in ``note`` mode) is already taken today, so a row's
    new cells are introduced on different days.  Calc cards (``note_id`` None) take
    every ``round(1 / calc_share)``-th place when ``calc_share`` > 0.  At most
    ``limit`` cards.
    """
    if per_note_limit < 0 or limit < 0:
        raise ValueError("limits must be >= 0")
    if not 0.0 <= calc_share <= 1.0:
        raise ValueError(f"calc_share must be within 0..1, got {calc_share}")
    used = dict(used_per_note or {})
    calc = [i for i in new if i.note_id is None]
    per_note: dict[int, list[QueueItem]] = defaultdict(list)
    folder_notes: dict[str, list[int]] = defaultdict(list)
    for item in new:
        if item.note_id is None:
            continue
        if item.note_id not in per_note:
            folder_notes[item.folder].append(item.note_id)
        per_note[item.note_id].append(item)
    order: list[int] = []
    columns = [folder_notes[f] for f in sorted(folder_notes)]
    for depth in range(max((len(c) for c in columns), default=0)):
        order.extend(c[depth] for c in columns if depth < len(c))
    every = round(1 / calc_share) if calc_share > 0 else 0
    taken = set(seen_today)
    cursor = dict.fromkeys(order, 0)
    out: list[QueueItem] = []
    calc_iter = iter(calc)

    def add_calc() -> bool:
        item = next(calc_iter, None)
        if item is None:
            return False
        out.append(item)
        return True

    active = [n for n in order if used.get(n, 0) < per_note_limit]
    while len(out) < limit and active:
        still: list[int] = []
        for note_id in active:
            if len(out) >= limit:
                break
            if every and (len(out) + 1) % every == 0 and add_calc() and len(out) >= limit:
                break
            cards = per_note[note_id]
            pos = cursor[note_id]
            while pos < len(cards) and (key := _bury_key(cards[pos], bury_mode)) in taken and key:
                pos += 1
            if pos >= len(cards):
                cursor[note_id] = pos
                continue
            item = cards[pos]
            cursor[note_id] = pos + 1
            key = _bury_key(item, bury_mode)
            if key:
                taken.add(key)
            out.append(item)
            used[note_id] = used.get(note_id, 0) + 1
            if used[note_id] < per_note_limit and cursor[note_id] < len(cards):
                still.append(note_id)
        active = still
    while len(out) < limit and every and add_calc():
        pass  # the notes ran out: the rest of the day's places go to calc cards
    return out


#: How many items after a clashing one :func:`_spread` scans before asking its heap.
_LOOKAHEAD = 8


def _spread(
    items: Sequence[QueueItem],
    prev_key: str = "",
    key_of: Callable[[QueueItem], str] | None = None,
) -> list[QueueItem]:
    """Reorder ``items`` so no two siblings are adjacent where that is possible.

    Greedy and order-preserving: at each position take the earliest remaining item
    whose key differs from the previous one *and* leaves the rest arrangeable.  With
    ``m`` items remaining, taking one with key ``k`` leaves them arrangeable exactly
    when every other key has ``2 * count <= m`` and ``k`` itself has
    ``2 * count <= m + 1`` (the key just placed needs a separator before each of its
    items; any other key may lead).  At most one key can have ``2 * count > m``, so:
    with no such "heavy" key the earliest item not of the previous key is taken;
    with a heavy key ``h`` only ``h`` may be taken, and only when
    ``2 * count(h) == m + 1`` and ``h`` is not the previous key.  When no candidate
    qualifies the arrangement is impossible and the earliest item not of the
    previous key (else the earliest item) is taken.  ``prev_key`` is the key just
    before ``items`` (e.g. the last review before the new cards).  "" never clashes.

    O(n log k) for ``n`` items and ``k`` distinct keys (O(n) when nothing clashes):
    a pointer walks the input in order; each key's items are chained in input order;
    only when the next item would clash is the earliest item of another key looked
    for, first among the next few items, then in a lazily refreshed heap of each
    key's first remaining position.  No key can be
    heavy while ``m`` is at least twice the largest count, so counts are kept (keys
    bucketed by count: the heaviest is known in O(1), and as a count only drops by
    one, the maximum drops by at most one a step) only for the last items.
    """
    n = len(items)
    keys = [key_of(it) if key_of else it.sibling_key for it in items]
    nxt = [n] * n  # next position with the same key (n: none)
    first: dict[str, int] = {}  # each key's first position not yet known to be taken
    for pos in range(n - 1, -1, -1):
        key = keys[pos]
        nxt[pos] = first.get(key, n)
        first[key] = pos
    counts = Counter(keys)
    del counts[""]
    calm = 2 * max(counts.values(), default=0)  # while m >= calm no key is heavy
    taken = [False] * (n + 1)  # taken[n] stays False: the end of every chain

    def first_left(key: str) -> int:
        """``key``'s first remaining position (n: none); amortised O(1)."""
        pos = first[key]
        while taken[pos]:
            pos = nxt[pos]
        first[key] = pos
        return pos

    heap: list[tuple[int, str]] = []  # (position, key): one entry per key with items left
    heap_built = False

    def earliest_other(prev: str, start: int) -> int:
        """The earliest remaining position after ``start`` whose key is not ``prev`` (n: none).

        ``start`` is the earliest remaining position and has key ``prev``.
        """
        nonlocal heap_built
        # Usually one of the next few items will do: look there before the heap.
        for pos in range(start + 1, min(start + 1 + _LOOKAHEAD, n)):
            if not taken[pos] and keys[pos] != prev:
                return pos
        if not heap_built:
            heap.extend((pos, key) for key, pos in first.items() if pos < n)
            heapq.heapify(heap)
            heap_built = True
        held = None
        while heap:
            pos, key = heap[0]
            if taken[pos]:  # stale: move on to the key's next remaining item
                pos = first_left(key)
                if pos < n:
                    heapq.heapreplace(heap, (pos, key))
                else:
                    heapq.heappop(heap)
            elif key == prev:
                held = heapq.heappop(heap)
            else:
                break
        found = heap[0][0] if heap else n
        if held is not None:
            heapq.heappush(heap, held)
        return found

    by_count: dict[int, set[str]] | None = None  # remaining count -> keys, once m < calm
    top = 0  # largest remaining count of a non-empty key, once m < calm
    out: list[QueueItem] = []
    ptr = 0  # every position before it is taken
    for m in range(n, 0, -1):
        while taken[ptr]:
            ptr += 1
        pos = ptr
        if m < calm:
            if by_count is None:
                counts = Counter(keys[p] for p in range(ptr, n) if not taken[p])
                del counts[""]
                by_count = {}
                for k, c in counts.items():
                    by_count.setdefault(c, set()).add(k)
                top = max(by_count, default=0)
            if 2 * top > m:
                (heavy,) = by_count[top]  # only one key can hold more than half
                if heavy != prev_key and 2 * top == m + 1:
                    pos = first_left(heavy)  # the only pick keeping the rest arrangeable
        if prev_key and keys[pos] == prev_key:
            # No heavy key, or an impossible arrangement: the earliest item of another
            # key (when there is one) at least avoids this clash.
            other = earliest_other(prev_key, pos)
            if other < n:
                pos = other
        key = keys[pos]
        taken[pos] = True
        if by_count is not None and key:
            c = counts[key]
            counts[key] = c - 1
            bucket = by_count[c]
            bucket.discard(key)
            if c > 1:
                by_count.setdefault(c - 1, set()).add(key)
            if not bucket:
                del by_count[c]
                if c == top:
                    top = c - 1  # ``key`` itself now has c - 1 (or none left when c == 1)
        out.append(items[pos])
        prev_key = key
    return out


def spread(
    items: Sequence[QueueItem],
    prev_key: str = "",
    key_of: Callable[[QueueItem], str] | None = None,
) -> list[QueueItem]:
    """``items`` with siblings spread apart, as :func:`build_queue` spreads each part."""
    return _spread(items, prev_key, key_of)


class LazySpread:
    """:func:`_spread` over items read window by window: the same order, read lazily.

    ``pull()`` returns the next items of the input in input order (``[]`` at the end);
    ``total`` is how many items it will give in all, ``max_count`` an upper bound of how
    many of them share one (non-empty) key.  While at least ``2 * max_count`` items are
    left to place no key can be heavy, so :func:`_spread` takes the earliest remaining
    item whose key is not the previous one: that needs only the input up to it, which
    is pulled as needed.  Once fewer are left (the last ``2 * max_count`` places) the
    rest of the input is pulled and :func:`_spread` orders it, with the key placed last
    as its ``prev_key``: :func:`_spread` decides each step from the remaining items and
    the previous key alone, so ``out`` is exactly ``_spread(all items, prev_key, key_of)``.
    If the input ends before ``total`` items (the collection changed since it was
    counted) the spread ends with the items there are.
    """

    def __init__(
        self,
        pull: Callable[[], Sequence[QueueItem]],
        total: int,
        max_count: int,
        prev_key: str = "",
        key_of: Callable[[QueueItem], str] | None = None,
    ) -> None:
        self._pull = pull
        self._key_of = key_of
        # Pulled, not placed yet, in input order.  Deques: the item placed is almost always
        # one of the first few, and a list's pop(0) moved a whole window each time.
        self._pending: deque[QueueItem] = deque()
        self._keys: deque[str] = deque()
        self._exhausted = False
        self._left = total  # items still to place
        self._calm = 2 * max_count
        self.prev_key = prev_key
        self.out: list[QueueItem] = []

    @property
    def done(self) -> bool:
        return self._left <= 0

    def _more(self) -> bool:
        if self._exhausted:
            return False
        chunk = self._pull()
        if not chunk:
            self._exhausted = True
            return False
        key_of = self._key_of
        self._pending.extend(chunk)
        self._keys.extend(key_of(it) if key_of else it.sibling_key for it in chunk)
        return True

    def extend_to(self, n: int) -> None:
        """Place items until ``out`` holds ``n`` of them (or all there are)."""
        pending, keys = self._pending, self._keys
        while len(self.out) < n and self._left > 0:
            if self._left < self._calm:
                self.finish()
                return
            if not pending and not self._more():
                self._left = 0  # the input ended early
                return
            i = 0
            prev = self.prev_key
            if prev:
                while True:
                    while i < len(keys) and keys[i] == prev:
                        i += 1
                    if i < len(keys) or not self._more():
                        break
                if i == len(keys):
                    i = 0  # only items of the previous key are left: the clash is unavoidable
            if i:
                self.out.append(pending[i])
                self.prev_key = keys[i]
                del pending[i], keys[i]
            else:
                self.out.append(pending.popleft())
                self.prev_key = keys.popleft()
            self._left -= 1

    def finish(self) -> None:
        """Place every remaining item."""
        if self._left <= 0:
            return
        while self._more():
            pass
        rest = _spread(list(self._pending), self.prev_key, key_of=self._key_of)
        self.out.extend(rest)
        if rest:
            last = rest[-1]
            self.prev_key = self._key_of(last) if self._key_of else last.sibling_key
        self._pending.clear()
        self._keys.clear()
        self._left = 0


def build_queue(
    due: Sequence[QueueItem],
    new: Sequence[QueueItem],
    new_limit: int,
    new_done_today: int = 0,
    key: Callable[[QueueItem], str] | None = None,
) -> list[QueueItem]:
    """Order a session: due reviews oldest-due first, then up to the day's new cards.

    Reviews come first (Anki's default): they are the cards about to be forgotten,
    and a session cut short should have spent its time on them.  New cards keep the
    caller's order (e.g. by note) and are limited to ``new_limit - new_done_today``.
    Siblings are then spread apart within each part (and across the seam), so the
    answer to one cell is not on screen just before its neighbour is asked.  ``key``
    (default: the sibling key) names the groups to spread, e.g. :func:`note_key`.
    """
    reviews = sorted(due, key=lambda i: (i.due or date.min, i.card_id))
    fresh = list(new[: max(0, new_limit - new_done_today)])
    spread_reviews = _spread(reviews, key_of=key)
    last = spread_reviews[-1] if spread_reviews else None
    seam = "" if last is None else (key(last) if key else last.sibling_key)
    return spread_reviews + _spread(fresh, seam, key_of=key)
