"""One card per fact: map the old table-card anchors onto the new ones.

Before this revision every value cell of a table gave a ``cell`` (recall) and a
``side`` card, anchored ``table|<path>|<header>|<row>|<column>|<mode>``; key/value
tables gave ``...|kv``.  Now (``studyapp/core/table_cards.py``) a two-column
comparison table gives one card per row, ``table|<path>|<header>|<row>``, and other
tables one card per cell, ``table|<path>|<header>|<row>|<column>``.

For each group of old cards that map onto the same new anchor, the card with the
most recent review (then the most repetitions, then a recall card over a side card)
keeps its id and schedule and takes the new anchor; the others are retired.  No
review_log row is touched: every answer stays attached to the card it was given
for, retired or not, so history, stats and a future re-fit keep every answer.  Every
note is marked for re-reading, so the next import regenerates the cards (new
payloads), finds the new anchors in place and keeps those schedules.

Whether a table is a comparison is decided as the generator decides it, from the
header cells in the anchor (two value columns, first header a dimension word).  The
rule is copied here, frozen, so that later changes to the generator cannot change
what this revision did.

Also: ``ix_review_log_day`` now covers ``(study_day, note_id)``, because the queue
counts each note's new cards per study day from the log.

Runs with foreign keys OFF (the application and ``env.py`` see to it) and in batch
mode for the index change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Frozen copy of ``core.table_cards.COMPARISON_HEADERS`` as of this revision.
_COMPARISON_HEADERS = frozenset(
    {"维度", "指标", "技术", "因素", "对比", "对比项", "方面", "特性", "项目", "比较", "属性"}
)
_OLD_MODES = ("cell", "side", "kv")


def split_escaped(text: str, sep: str) -> list[str]:
    """Split on ``sep`` not escaped by a backslash; the parts keep their escapes."""
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _is_comparison(header_key: str) -> bool:
    base = header_key
    tail = split_escaped(header_key, "#")
    if len(tail) > 1 and tail[-1].isdigit():  # a repeated table's "#2" suffix
        base = "#".join(tail[:-1])
    cells = [_unescape(c) for c in split_escaped(base, ",")]
    first = unicodedata.normalize("NFKC", cells[0]).casefold().strip() if cells else ""
    return len(cells) == 3 and first in _COMPARISON_HEADERS


def new_anchor(old: str) -> str | None:
    """The anchor the card of ``old`` has now, or ``None`` when ``old`` is not an old one."""
    parts = split_escaped(old, "|")
    if len(parts) != 6 or parts[0] != "table" or parts[5] not in _OLD_MODES:
        return None
    _t, path, header, row, col, mode = parts
    if mode != "kv" and _is_comparison(header):
        return "|".join(("table", path, header, row))
    return "|".join(("table", path, header, row, col))


def _rank(row: sa.Row) -> tuple[str, int, int, int]:
    """Higher is kept: latest review, most repetitions, recall over side, lowest id."""
    mode = split_escaped(row.anchor, "|")[-1]
    return (str(row.last_review or ""), int(row.reps), int(mode != "side"), -int(row.id))


def upgrade() -> None:
    bind = op.get_bind()
    logs_before = bind.execute(sa.text("SELECT count(*) FROM review_log")).scalar_one()
    rows = bind.execute(
        sa.text(
            "SELECT id, note_id, anchor, reps, last_review, first_seen, retired "
            "FROM cards WHERE kind = 'table'"
        )
    ).all()
    taken = {(r.note_id, r.anchor) for r in rows}
    groups: dict[tuple[int | None, str], list[sa.Row]] = defaultdict(list)
    for r in rows:
        anchor = new_anchor(r.anchor)
        if anchor is not None:
            groups[(r.note_id, anchor)].append(r)
    for (note_id, anchor), members in groups.items():
        ordered = sorted(members, key=_rank, reverse=True)
        if (note_id, anchor) in taken:  # already mapped (a card with the new anchor exists)
            keep = None
        else:
            keep = ordered[0]
            firsts = [str(m.first_seen) for m in members if m.first_seen is not None]
            bind.execute(
                sa.text(
                    "UPDATE cards SET anchor = :anchor, first_seen = :first, "
                    "retired = :retired WHERE id = :id"
                ),
                {
                    "anchor": anchor,
                    "first": min(firsts) if firsts else None,
                    # Live when any old card of the fact was live.
                    "retired": int(all(m.retired for m in members)),
                    "id": keep.id,
                },
            )
        gone = [m.id for m in members if keep is None or m.id != keep.id]
        if gone:
            bind.execute(
                sa.text("UPDATE cards SET retired = 1 WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": gone},
            )
    # The next import must regenerate every note's cards (new payloads, new row cards):
    # a stat and hash that no file has make it re-read each note.  A distinct value per
    # note keeps the importer's move detection (by hash) from pairing two notes.
    bind.execute(sa.text("UPDATE notes SET mtime_ns = -1, content_sha256 = '0003:' || id"))
    logs_after = bind.execute(sa.text("SELECT count(*) FROM review_log")).scalar_one()
    if logs_after != logs_before:  # pragma: no cover - a guard, never expected
        raise RuntimeError(f"review_log changed from {logs_before} to {logs_after} rows")
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.drop_index("ix_review_log_day")
        batch_op.create_index("ix_review_log_day", ["study_day", "note_id"], unique=False)


def downgrade() -> None:
    """Only the index goes back: merged cards cannot be split again (their log is kept)."""
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.drop_index("ix_review_log_day")
        batch_op.create_index("ix_review_log_day", ["study_day"], unique=False)
