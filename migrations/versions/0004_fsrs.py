"""FSRS memory state on cards and in the log, fitted parameters, exams.

Only additions: two nullable columns on ``cards``, three on ``review_log`` (the
scheduler that answered, FSRS state before the answer for undo) and two new tables.
Batch mode copies ``review_log`` into a new table with every row; the runner keeps
foreign keys off while it does, so no ``ON DELETE CASCADE`` fires.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fsrs_stability", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("fsrs_difficulty", sa.Float(), nullable=True))
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scheduler", sa.String(), server_default="sm2", nullable=False)
        )
        batch_op.add_column(sa.Column("fsrs_stability_before", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("fsrs_difficulty_before", sa.Float(), nullable=True))
    op.create_table(
        "fsrs_params",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("fitted_on", sa.Date(), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fsrs_params")),
    )
    op.create_table(
        "exams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("exam_date", sa.Date(), nullable=False),
        sa.Column("tag", sa.String(), nullable=True),
        sa.Column("folder", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exams")),
        sa.UniqueConstraint("name", name=op.f("uq_exams_name")),
    )


def downgrade() -> None:
    op.drop_table("exams")
    op.drop_table("fsrs_params")
    with op.batch_alter_table("review_log", schema=None) as batch_op:
        batch_op.drop_column("fsrs_difficulty_before")
        batch_op.drop_column("fsrs_stability_before")
        batch_op.drop_column("scheduler")
    with op.batch_alter_table("cards", schema=None) as batch_op:
        batch_op.drop_column("fsrs_difficulty")
        batch_op.drop_column("fsrs_stability")
