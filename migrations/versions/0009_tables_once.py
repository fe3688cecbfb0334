"""Each note's tables stored once; table cards point into them.

Adds ``notes.tables_json`` (the note's tables: heading path, header, rows, display
forms where they differ; :mod:`studyapp.core.table_store`) and ``notes.parsed_version``
(the card generator that wrote the note's cards), and puts ``parsed_version`` into
``ix_notes_import_scan`` so the warm import still reads no note row.

No card is rewritten here (that is app logic): existing notes get version 1, and the
next import re-derives every note whose version is older than
``CARD_GENERATOR_VERSION`` even when its file is unchanged.  Its cards keep their ids
and schedules through the anchor upsert and get compact payloads; a payload without
``"v": 2`` (a retired card, an old database not yet re-imported) is still read as it
is.  Only columns and an index change: no review-log row is touched; batch mode and
foreign keys off as for every migration.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCAN = ["id", "path", "mtime_ns", "size", "content_sha256", "missing", "parse_error"]


def upgrade() -> None:
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tables_json", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("parsed_version", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.drop_index("ix_notes_import_scan")
        batch_op.create_index("ix_notes_import_scan", [*_SCAN, "parsed_version"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index("ix_notes_import_scan")
        batch_op.create_index("ix_notes_import_scan", _SCAN, unique=False)
        batch_op.drop_column("parsed_version")
        batch_op.drop_column("tables_json")
