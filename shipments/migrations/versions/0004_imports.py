"""Imports: one batch per imported file, and each imported shipment's file line.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_refused", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("sha256", name="uq_import_batch_sha256"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # No table copy (other tables reference shipment): SQLite's ADD COLUMN takes REFERENCES.
        op.execute(
            "ALTER TABLE shipment ADD COLUMN import_batch_id INTEGER REFERENCES import_batch (id)"
        )
    else:
        op.add_column("shipment", sa.Column("import_batch_id", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "shipment", "import_batch", ["import_batch_id"], ["id"])
    op.add_column("shipment", sa.Column("import_line", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shipment") as batch:
        batch.drop_column("import_line")
        batch.drop_column("import_batch_id")
    op.drop_table("import_batch")
