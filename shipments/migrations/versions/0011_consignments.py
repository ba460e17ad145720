"""consignment_link: a sent and a received record joined as one consignment; reading basis.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Each row links (or unlinks) two shipments, append-only like the history tables of 0007: UPDATE
and DELETE (and, on PostgreSQL, TRUNCATE) are refused. ``claim_reading.basis`` says which record
of a linked consignment a reading counts (``sent`` or ``received``); empty, the claim's wording
decides. Added as a plain column, so SQLite keeps claim_reading's triggers (no table rebuild).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "consignment_link"
MESSAGE = "rows are never updated or deleted (the ledger is append-only)"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sent_id", sa.Integer(), sa.ForeignKey("shipment.id"), nullable=False),
        sa.Column("received_id", sa.Integer(), sa.ForeignKey("shipment.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("action IN ('link', 'unlink')", name="ck_consignment_action"),
        sa.CheckConstraint("sent_id <> received_id", name="ck_consignment_two_records"),
    )
    op.create_index("ix_consignment_link_sent_id", TABLE, ["sent_id"])
    op.create_index("ix_consignment_link_received_id", TABLE, ["received_id"])
    op.add_column("claim_reading", sa.Column("basis", sa.String(16), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER ledger_keep_{TABLE} BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER ledger_keep_{TABLE}_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
        )
        return
    for action, event in (("update", "UPDATE"), ("delete", "DELETE")):
        op.execute(
            f"CREATE TRIGGER ledger_keep_{TABLE}_{action} BEFORE {event} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE}: {MESSAGE}'); END"
        )


def downgrade() -> None:
    # DROP COLUMN (SQLite 3.35+) rebuilds no table, so claim_reading keeps its triggers.
    op.execute("ALTER TABLE claim_reading DROP COLUMN basis")
    op.drop_index("ix_consignment_link_received_id", table_name=TABLE)
    op.drop_index("ix_consignment_link_sent_id", table_name=TABLE)
    op.drop_table(TABLE)  # its triggers go with it
