"""LazySpread and bury_into, fed in windows, give exactly _spread / bury_siblings over all.

The due queue (services/queue.py) reads a big day's due cards window by window; these
check, on seeded random inputs, that the windowed pieces place every item where the
whole-list functions do: heavy keys near the end, a previous key, upper bounds above the
true largest share, windows of one item or of everything.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from studyapp.core.queue_order import (
    LazySpread,
    QueueItem,
    _spread,
    bury_into,
    bury_siblings,
    note_key,
)


def _items(rng: random.Random, n: int) -> list[QueueItem]:
    notes = rng.randint(1, max(1, n // rng.choice((1, 2, 5, 20))))
    heavy = rng.random() < 0.3
    out = []
    for i in range(n):
        note: int | None = 0 if heavy and rng.random() < 0.55 else rng.randint(0, notes)
        if rng.random() < 0.05:
            note = None  # calc cards: one "calc" key
        sibling = rng.choice(("", "", f"r{rng.randint(0, 3)}"))
        out.append(
            QueueItem(i + 1, note, "calc" if note is None else "table", date(2026, 1, 1), sibling)
        )
    return out


def _windows(rng: random.Random, items: list[QueueItem]):  # type: ignore[no-untyped-def]
    at = 0

    def pull() -> list[QueueItem]:
        nonlocal at
        size = rng.choice((1, 2, 3, 7, 50, 10**6))
        chunk = items[at : at + size]
        at += len(chunk)
        return chunk

    return pull


@pytest.mark.parametrize("seed", range(300))
def test_windowed_spread_is_the_whole_spread(seed: int) -> None:
    rng = random.Random(seed)
    items = _items(rng, rng.choice((0, 1, 2, 5, 30, 200, 600)))
    key_of = rng.choice((None, note_key))
    prev = rng.choice(("", "note:0", "r1"))
    expected = _spread(items, prev, key_of=key_of)
    keys = Counter((key_of(i) if key_of else i.sibling_key) for i in items)
    del keys[""]
    top = max(keys.values(), default=0) + rng.choice((0, 0, 1, 5, 1000))
    lazy = LazySpread(_windows(rng, items), len(items), top, prev, key_of=key_of)
    got: list[QueueItem] = []
    while not lazy.done:
        lazy.extend_to(len(lazy.out) + rng.choice((1, 3, 40)))
        assert lazy.out[: len(got)] == got  # placed items never move
        got = list(lazy.out)
    assert lazy.out == expected
    last = expected[-1] if expected else None
    assert lazy.prev_key == (
        prev if last is None else (key_of(last) if key_of else last.sibling_key)
    )


def test_finish_places_everything_at_once() -> None:
    rng = random.Random(5)
    items = _items(rng, 400)
    lazy = LazySpread(_windows(rng, items), len(items), 400, key_of=note_key)
    lazy.extend_to(10)
    lazy.finish()
    assert lazy.done and lazy.out == _spread(items, key_of=note_key)


def test_input_ending_early_ends_the_spread() -> None:
    items = [QueueItem(i, i % 3, "table", None) for i in range(1, 10)]
    lazy = LazySpread(_windows(random.Random(1), items), 50, 3, key_of=note_key)
    lazy.extend_to(100)
    assert lazy.done and sorted(i.card_id for i in lazy.out) == list(range(1, 10))


@pytest.mark.parametrize("seed", range(100))
@pytest.mark.parametrize("mode", ["row", "note", "off"])
def test_bury_into_over_windows_is_one_bury_siblings(seed: int, mode: str) -> None:
    rng = random.Random(seed)
    items = _items(rng, rng.choice((0, 10, 200)))
    seen = {f"{rng.randint(0, 5)}|r{rng.randint(0, 3)}" for _ in range(3)}
    seen |= {f"note:{rng.randint(0, 5)}" for _ in range(2)}
    expected, taken = bury_siblings(items, mode, seen)
    keys = set(seen)
    pull = _windows(rng, items)
    got: list[QueueItem] = []
    while chunk := pull():
        got += bury_into(chunk, mode, keys)
    assert got == expected
    if mode != "off":
        assert keys == taken
