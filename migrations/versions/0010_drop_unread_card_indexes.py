"""Drop two indexes of ``cards`` that no query reads: first_seen and last_review.

``ix_cards_first_seen`` and ``ix_cards_last_review`` (0002) served dashboard counts that
later moved to other indexes (review_log's study day, the partial ``ix_cards_hard``).
Every statement the test suite runs was explained (``EXPLAIN QUERY PLAN``) against the
10,000-note benchmark database: no plan used ``ix_cards_first_seen``, and
``ix_cards_last_review`` only as the smallest b-tree to count ``cards`` by (``count(*)``
now counts ``ix_cards_note_id``, as small).  Yet an answer rewrote both: the first answer
of a card moves its entry in each (NULL -> the day), every later one its last_review
entry, about 4 of the ~30 WAL pages an answer commits.  Only indexes are dropped (no
table copy, no review-log row touched); batch mode and foreign keys off as for every
migration, under the writer lock like every schema change.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_index("ix_cards_last_review")
        batch_op.drop_index("ix_cards_first_seen")


def downgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.create_index("ix_cards_first_seen", ["first_seen"], unique=False)
        batch_op.create_index("ix_cards_last_review", ["last_review"], unique=False)
