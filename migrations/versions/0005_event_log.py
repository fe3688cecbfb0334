"""The event log index: device id, seen events, how far each log file was read, owed notes.

New tables only: no existing table is copied, so no review-log row can be lost.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "local_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_device")),
    )
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("ts", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("note_path", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("anchor", sa.String(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=True),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_note_path", ["note_path"], unique=False)
        batch_op.create_index("ix_events_log_id", ["log_id"], unique=False)
    op.create_table(
        "notes_owed",
        sa.Column("note_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("values_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("note_id", name=op.f("pk_notes_owed")),
    )
    op.create_table(
        "event_files",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("offset", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_files")),
    )


def downgrade() -> None:
    op.drop_table("event_files")
    op.drop_table("notes_owed")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_log_id")
        batch_op.drop_index("ix_events_note_path")
    op.drop_table("events")
    op.drop_table("local_device")
