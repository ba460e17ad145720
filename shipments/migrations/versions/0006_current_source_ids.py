"""current_shipment.source_ids: each current revision's source ids, for the export.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "current_shipment",
        sa.Column("source_ids", sa.Text(), nullable=False, server_default=""),
    )
    # Fill it from the links: ids ascending, separated by spaces, as current_shipment_row writes.
    if op.get_bind().dialect.name == "postgresql":
        ids = "string_agg(l.source_id::text, ' ' ORDER BY l.source_id)"
        source = "revision_source l"
    else:  # SQLite: group_concat follows the order of the subquery it reads
        ids = "group_concat(l.source_id, ' ')"
        source = "(SELECT revision_id, source_id FROM revision_source ORDER BY source_id) l"
    op.execute(
        "UPDATE current_shipment SET source_ids = COALESCE("
        f"(SELECT {ids} FROM {source} WHERE l.revision_id = current_shipment.revision_id), '')"
    )


def downgrade() -> None:
    with op.batch_alter_table("current_shipment") as batch:
        batch.drop_column("source_ids")
