"""Benchmark: the same review loop through Anki's own library (``pip install anki``).

The corpus notes are added to a fresh Anki collection as Basic cards (front = the
H1 question, back = the standard answer), then 500 cards are answered through the
v3 scheduler exactly as Anki's reviewer does: ``get_queued_cards`` -> ``Card`` ->
``build_answer`` -> ``answer_card``, timing answer -> next card ready.  When anki
does not install or import here the figure is reported as "not measured" with the
error, never estimated.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import corpus, percentile, result, work_dir

ANSWERS = 500
WARMUP = 10


def _cards(n: int, count: int) -> list[tuple[str, str]]:
    from studyapp.core.notefile import parse_note

    out = []
    for path in sorted(corpus(n).rglob("*.md"))[:count]:
        parsed = parse_note(path.name, path.read_bytes())
        out.append((parsed.title, parsed.answer.markdown if parsed.answer else parsed.body))
    return out


def anki_loop(n: int, answers: int = ANSWERS) -> dict[str, Any]:
    # anki.collection must be imported before anki.cards (circular imports inside anki).
    import anki.collection

    Collection = anki.collection.Collection
    from anki.buildinfo import version
    from anki.cards import Card
    from anki.scheduler_pb2 import CardAnswer

    folder = work_dir() / "anki"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    col = Collection(str(folder / "collection.anki2"))
    try:
        deck_id = col.decks.id("studyapp-bench")
        conf = col.decks.config_dict_for_deck_id(deck_id)
        conf["new"]["perDay"] = 9999
        conf["rev"]["perDay"] = 9999
        col.decks.update_config(conf)
        model = col.models.by_name("Basic")
        start = time.perf_counter()
        for front, back in _cards(n, answers + WARMUP + 1):
            note = col.new_note(model)
            note["Front"], note["Back"] = front, back
            col.add_note(note, deck_id)
        add_s = time.perf_counter() - start
        col.decks.select(deck_id)
        times = []
        ratings = (CardAnswer.GOOD, CardAnswer.EASY, CardAnswer.GOOD, CardAnswer.HARD)
        queued = col.sched.get_queued_cards(fetch_limit=1).cards[0]
        card = Card(col, backend_card=queued.card)
        card.start_timer()
        for i in range(answers + WARMUP):
            t0 = time.perf_counter()
            answer = col.sched.build_answer(
                card=card, states=queued.states, rating=ratings[i % len(ratings)]
            )
            col.sched.answer_card(answer)
            queued = col.sched.get_queued_cards(fetch_limit=1).cards[0]  # the next card, ready
            card = Card(col, backend_card=queued.card)
            card.start_timer()
            elapsed = 1000 * (time.perf_counter() - t0)
            if i >= WARMUP:
                times.append(elapsed)
    finally:
        col.close()
    return {"times": times, "version": version, "add_s": add_s}


def run(
    quick: bool, ours_p95_ms: float | None = None, ours_median_ms: float | None = None
) -> list[dict[str, Any]]:
    n = 1000 if quick else 10_000
    name = f"Anki {ANSWERS} answers -> next card, p95"
    try:
        got = anki_loop(n)
    except Exception as exc:  # not installed / import error / API change: say so
        return [
            result(
                name,
                None,
                "ms",
                "anki library (pip install anki)",
                None,
                None,
                status="not measured",
                error=f"{type(exc).__name__}: {exc}",
            )
        ]
    times = got["times"]
    p95, med = percentile(times, 95), statistics.median(times)
    rows = [
        result(
            f"{name} (anki {got['version']})",
            p95,
            "ms",
            "studyapp review loop p95 (same run)",
            ours_p95_ms,
            None,
            median_ms=med,
            ratio=(p95 / ours_p95_ms) if ours_p95_ms else None,
            note="ratio = anki / studyapp; studyapp also rewrites a note file (fsync) per answer",
        ),
    ]
    if ours_median_ms:
        rows.append(
            result(
                "Anki answer -> next card, median",
                med,
                "ms",
                "studyapp review loop median (same run)",
                ours_median_ms,
                None,
            )
        )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
