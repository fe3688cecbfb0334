"""Three partial indexes for the dashboard: new cards by note, scheduled cards, "hardest".

``due_items()`` asks, for each note, whether it has a new card it may show today (one
EXISTS probe per note).  Through ``ix_cards_note_id`` each probe read the first card's
table row to test ``retired``/``suspended``/``kind``/``buried_until``/``due``: 28 ms of
the 10k-note dashboard.  This index (new cards only, the probe's columns) answers it from
the index: 9 ms.  ``ix_cards_hard`` holds only the cards the dashboard's "hardest" list
can show (reviewed, with lapses or failing): it replaced a walk over every reviewed
card's table row (10-20 ms at 5,000 reviewed cards, growing with them).
``ix_cards_scheduled`` covers stats()' read of every scheduled card's due day and
interval (the interval is not in the queue's covering index, so each card's
table row was read): 12 ms -> 3 ms at 5,000 scheduled cards.  It has
``ix_cards_due_cover``'s columns first, so the queue's due read, which the planner then
takes through this smaller index, stays covered and in ORDER BY due, id order.  Only
indexes are added (no table copy), so no review-log row is touched;
batch mode and foreign keys off as for every migration.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cards_new_note",
            ["note_id", "retired", "suspended", "kind", "buried_until"],
            unique=False,
            sqlite_where=sa.text("due IS NULL"),
        )
        batch_op.create_index(
            "ix_cards_scheduled",
            [
                "retired",
                "suspended",
                "due",
                "id",
                "buried_until",
                "note_id",
                "kind",
                "sibling_key",
                "interval",
            ],
            unique=False,
            sqlite_where=sa.text("due IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_cards_hard",
            ["retired", "lapses", "reps", "ef_milli"],
            unique=False,
            sqlite_where=sa.text("last_review IS NOT NULL AND (lapses > 0 OR reps = 0)"),
        )


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cards_hard")
        batch_op.drop_index("ix_cards_scheduled")
        batch_op.drop_index("ix_cards_new_note")
