"""The event log's replay (and, re-exported from :mod:`studyapp.core.event_format`, its
line format): pure, no I/O, no clock.

Each device appends one JSON line per event to ``.studyapp/log/<device>.jsonl`` in the
notes folder.  The database is an index of these lines: replaying every device's
events in ``(ts, device, counter)`` order gives back every card's schedule and the
review history, so a deleted database can be rebuilt and two machines that share the
notes folder (git, Syncthing) converge on the same state.

Why the replay mirrors :mod:`studyapp.services.review` step for step instead of
re-deriving a "nicer" semantics: a rebuild must give back *exactly* the database the
live path wrote (a test compares every column), so undo restores the answer's
``before`` state, a note-card answer counts one more ``review_count``, and mastery is
recomputed over the note's cards in card-id order, as the live path does.

Cards are named by structure, never by row id: ``(note path, kind, anchor)``, with
``note path`` ``None`` for the collection's calc deck.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from studyapp.core.event_format import (
    ANSWER,
    BURY,
    MOVE,
    RESET,
    SETTING,
    SUSPEND,
    UNDO,
    CardKey,
    EventFormatError,
    decode,
    encode,
    event_id,
    parse_lines,
    parse_lines_raw,
    sort_key,
)
from studyapp.core.mastery import combine_mastery, mastery_changed
from studyapp.core.srs import SrsState, card_mastery, review

__all__ = [
    "ANSWER",
    "BURY",
    "MOVE",
    "RESET",
    "SETTING",
    "SUSPEND",
    "UNDO",
    "CardKey",
    "CardStart",
    "EventFormatError",
    "LogRow",
    "NoteValues",
    "ReplayResult",
    "decode",
    "encode",
    "event_id",
    "follow_moves",
    "parse_lines",
    "parse_lines_raw",
    "replay",
    "sort_key",
]

#: :func:`sort_key` for validated events (one C call per event instead of three conversions).
_ORDER = itemgetter("ts", "dev", "n")


# --- replay --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteValues:
    """The four schedule keys of a note's frontmatter, as the database holds them."""

    last_reviewed: date | None
    next_review: date | None
    review_count: int
    mastery_level: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "last_reviewed": self.last_reviewed,
            "next_review": self.next_review,
            "review_count": self.review_count,
            "mastery_level": self.mastery_level,
        }

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.to_dict().items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NoteValues:
        return cls(
            last_reviewed=_day(data.get("last_reviewed")),
            next_review=_day(data.get("next_review")),
            review_count=int(data.get("review_count") or 0),
            mastery_level=float(data.get("mastery_level") or 0.0),
        )


@dataclass(slots=True)
class CardStart:
    """A card's state before the first event the log has for it (or its current state)."""

    state: SrsState
    first_seen: date | None = None
    suspended: bool = False
    buried_until: date | None = None


@dataclass(slots=True)
class LogRow:
    """One review-log row, as the live path would have written it."""

    event: Mapping[str, Any]
    key: CardKey
    reviewed_at: datetime
    study_day: date
    before: SrsState
    after: SrsState
    rescheduled: bool
    first_seen_before: date | None
    values_before: NoteValues | None
    values_after: NoteValues | None
    undone: bool = False
    #: a non-note answer that moved the note's mastery_level (only that key is owed)
    mastery_before: float | None = None
    mastery_after: float | None = None


@dataclass
class ReplayResult:
    cards: dict[CardKey, CardStart] = field(default_factory=dict)  # cards the events touched
    notes: dict[str, NoteValues] = field(default_factory=dict)  # notes the events touched
    rows: list[LogRow] = field(default_factory=list)  # in replay order
    settings: dict[str, Any] = field(default_factory=dict)  # latest value per key
    unresolved: list[Mapping[str, Any]] = field(default_factory=list)  # cards not known here


def _day(value: Any) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value))


def state_to_json(state: SrsState, first_seen: date | None) -> dict[str, Any]:
    data = state.to_dict()
    data["first_seen"] = first_seen.isoformat() if first_seen else None
    return data


def card_key(event: Mapping[str, Any]) -> CardKey:
    return (event.get("note"), str(event["kind"]), str(event["anchor"]))


@dataclass(slots=True)
class _Note:
    members: Sequence[tuple[CardKey, str]]  # non-retired cards in id order, with kind
    values: NoteValues
    dirty: bool = False  # mastery must be recomputed before it is read
    seen_note_answer: bool = False
    #: mastery's inputs, kept current as the note's cards change (``None`` until first
    #: needed): each fact card's ``card_mastery`` in member order, and where each sits
    facts: list[float] | None = None
    slots: dict[CardKey, int] = field(default_factory=dict)
    reviewed_facts: int = 0  # fact cards with an interval > 0
    note_key: CardKey | None = None  # the first note-kind member (the one mastery reads)
    note_value: float | None = None
    note_reviewed: bool = False


def replay(
    events: Iterable[Mapping[str, Any]],
    starts: Mapping[CardKey, CardStart],
    notes: Mapping[str, tuple[NoteValues, Sequence[tuple[CardKey, str]]]],
) -> ReplayResult:
    """Apply ``events`` (any order; sorted here) to the cards' ``starts``.

    ``starts`` holds each known card's current state: used as the base of a card
    that has no answer in the log (a reset or bury only), while a card with answers
    starts from its earliest answer's recorded ``before`` (what the card was when
    the log first saw it).  ``notes`` gives each note's current values and its
    non-retired cards in id order (mastery's inputs).  Events for cards not in
    ``starts`` are returned as ``unresolved``.
    """
    # sort_key's order without its conversions: decode() checked the types of every
    # event the log and the database hold (str ts and dev, int n)
    ordered = sorted(events, key=_ORDER)
    result = ReplayResult()
    by_note: dict[str, list[CardKey]] = {}
    for key in starts:
        if key[0] is not None:
            by_note.setdefault(key[0], []).append(key)
    bases = _bases(ordered, starts, by_note)
    cards: dict[CardKey, CardStart] = {}
    note_state: dict[str, _Note] = {}
    rows_by_id: dict[str, LogRow] = {}

    def card(key: CardKey) -> CardStart:
        current = cards.get(key)
        if current is None:
            base = bases.get(key) or starts[key]
            current = cards[key] = CardStart(
                base.state, base.first_seen, base.suspended, base.buried_until
            )  # a copy: the replay mutates it, the caller's starts stay as given
        return current

    def note(path: str) -> _Note | None:
        current = note_state.get(path)
        if current is None and path in notes:
            values, members = notes[path]
            current = note_state[path] = _Note(members, values)
        return current

    def mastery(n: _Note) -> float:
        # The one definition (core.mastery), as ReviewService._note_mastery under SM-2:
        # note_mastery_level(first note card, fact cards in id order).  Recomputing every
        # fact card's value per answer was half the replay (a note has dozens of table
        # cards); each value is instead kept current by set_state, and the same list is
        # summed in the same order, so the float is bit for bit note_mastery_level's.
        if n.facts is None:
            n.facts = []
            for k, kind in n.members:
                state = card(k).state  # materialized, as the full recomputation did
                if kind != "note":
                    n.slots[k] = len(n.facts)
                    n.facts.append(card_mastery(state))
                    n.reviewed_facts += state.interval > 0
                elif n.note_key is None:
                    n.note_key = k
                    n.note_value = card_mastery(state)
                    n.note_reviewed = state.interval > 0
        return combine_mastery(
            n.note_value, n.facts, reviewed=n.reviewed_facts > 0 or n.note_reviewed
        )

    def set_state(key: CardKey, c: CardStart, state: SrsState) -> None:
        """Every change of a card's state goes through here: its note's mastery inputs."""
        old, c.state = c.state, state
        n = note_state.get(key[0]) if key[0] is not None else None
        if n is None or n.facts is None:
            return
        slot = n.slots.get(key)
        if slot is not None:
            n.facts[slot] = card_mastery(state)
            n.reviewed_facts += (state.interval > 0) - (old.interval > 0)
        elif key == n.note_key:
            n.note_value = card_mastery(state)
            n.note_reviewed = state.interval > 0

    def values(n: _Note) -> NoteValues:
        if n.dirty:
            n.values = replace(n.values, mastery_level=mastery(n))
            n.dirty = False
        return n.values

    for event in ordered:
        kind = event["type"]
        if kind == MOVE:
            continue  # resolved before the replay: see follow_moves
        if kind == SETTING:
            result.settings[str(event["key"])] = event.get("value")
            continue
        if kind == RESET:
            path = str(event.get("note"))
            n = note(path)
            if n is None:
                result.unresolved.append(event)
                continue
            ef = int(event["ef"])
            for key in by_note.get(path, ()):
                set_state(key, card(key), SrsState(ef_milli=ef))
            n.values = replace(n.values, mastery_level=0.0)
            n.dirty = False
            continue
        if kind == UNDO:
            target = rows_by_id.get(str(event.get("target")))
            if target is None or target.undone:
                if target is None:
                    result.unresolved.append(event)
                continue
            target.undone = True
            if target.rescheduled:
                c = card(target.key)
                set_state(target.key, c, target.before)
                c.first_seen = target.first_seen_before
                if target.key[0] is not None:
                    n = note(target.key[0])
                    if n is not None:
                        if target.values_before is not None:
                            n.values, n.dirty = target.values_before, False
                        else:
                            n.dirty = True
            continue
        key = card_key(event)
        if key not in starts:
            result.unresolved.append(event)
            continue
        if kind == BURY:
            card(key).buried_until = _day(event.get("until"))
            continue
        if kind == SUSPEND:
            card(key).suspended = bool(event.get("on"))
            continue
        # an answer
        c = card(key)
        day = date.fromisoformat(str(event["day"]))
        reschedules = bool(event.get("resched", True)) and not bool(event.get("cram", False))
        before, first_seen_before = c.state, c.first_seen
        after = review(before, int(event["grade"]), day) if reschedules else before
        values_before = values_after = None
        mastery_before = mastery_after = None
        if reschedules:
            n = note(key[0]) if key[0] is not None else None
            if n is not None and key[1] != "note":
                mastery_before = values(n).mastery_level  # before this answer moves it
            if n is not None and key[1] == "note":
                if not n.seen_note_answer and isinstance(event.get("nv"), dict):
                    # the note's values when the log first saw one of its answers
                    n.values, n.dirty = NoteValues.from_json(event["nv"]), False
                n.seen_note_answer = True
                values_before = values(n)  # read before this answer changes the card
            set_state(key, c, after)
            if c.first_seen is None:
                c.first_seen = day
            if n is not None and values_before is not None:
                values_after = NoteValues(
                    last_reviewed=day,
                    next_review=after.due,
                    review_count=values_before.review_count + 1,
                    mastery_level=mastery(n),
                )
                n.values, n.dirty = values_after, False
            elif n is not None and mastery_before is not None:
                # As ReviewService.record: a table or calc answer that moves the note's
                # mastery by >= 0.01 owes the file its mastery_level line.
                level = mastery(n)
                if mastery_changed(mastery_before, level):
                    mastery_after = level
                else:
                    mastery_before = None
                v = n.values  # not dataclasses.replace: a third of these answers' cost
                n.values = NoteValues(v.last_reviewed, v.next_review, v.review_count, level)
                n.dirty = False
        row = LogRow(
            event=event,
            key=key,
            reviewed_at=datetime.fromisoformat(str(event["ts"])),
            study_day=day,
            before=before,
            after=after,
            rescheduled=reschedules,
            first_seen_before=first_seen_before,
            values_before=values_before,
            values_after=values_after,
            mastery_before=mastery_before,
            mastery_after=mastery_after,
        )
        rows_by_id[str(event["id"])] = row
        result.rows.append(row)

    result.cards = cards
    result.notes = {path: values(n) for path, n in note_state.items()}
    return result


def follow_moves(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with every note path renamed to where the note lives now.

    Moves chain (a -> b -> c) and are applied in time order; a move back (b -> a)
    simply renames again.  Events are copied, never changed in place.
    """
    moves = sorted((e for e in events if e["type"] == MOVE), key=sort_key)
    if not moves:
        return list(events)
    now: dict[str, str] = {}
    for move in moves:
        old, new = str(move["from"]), str(move["to"])
        for path, target in list(now.items()):
            if target == old:
                now[path] = new
        now[old] = new
        now.pop(new, None)
    return [{**e, "note": now[e["note"]]} if e.get("note") in now else e for e in events]


def _bases(
    ordered: Sequence[Mapping[str, Any]],
    starts: Mapping[CardKey, CardStart],
    by_note: Mapping[str, list[CardKey]],
) -> dict[CardKey, CardStart]:
    """Each card's state before the log: its first answer's ``before``, unless reset first.

    A reset already fixes the state from then on, so an answer's snapshot after it is
    not a base (it may come from a device that had not seen the reset).
    """
    bases: dict[CardKey, CardStart] = {}
    decided: set[CardKey] = set()
    for event in ordered:
        if event["type"] == RESET:
            decided.update(by_note.get(str(event.get("note")), ()))
        elif event["type"] == ANSWER:
            key = card_key(event)
            if key in decided or key not in starts:
                continue
            decided.add(key)
            snap = event.get("before")
            if isinstance(snap, dict):
                bases[key] = replace(
                    starts[key],
                    state=SrsState.from_dict(snap),
                    first_seen=_day(snap.get("first_seen")),
                )
    return bases
