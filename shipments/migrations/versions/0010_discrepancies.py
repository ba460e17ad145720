"""discrepancy_event: the life of each claim the ledger does not bear out, append-only.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Each row is one change (opened, explained, resolved, reopened) of one claim's discrepancy; like
the history tables of 0007 it refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE), with
0007's function on PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "discrepancy_event"
MESSAGE = "rows are never updated or deleted (the ledger is append-only)"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claim.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("reading_id", sa.Integer(), sa.ForeignKey("claim_reading.id"), nullable=True),
        sa.Column("ledger_value", sa.String(40), nullable=True),
        sa.Column("difference", sa.String(40), nullable=True),
        sa.Column("difference_pct", sa.String(40), nullable=True),
        sa.Column("ledger_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("link_kind", sa.String(16), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("claim_id", "seq", name="uq_discrepancy_event_seq"),
        sa.CheckConstraint(
            "state IN ('open', 'explained', 'resolved')", name="ck_discrepancy_state"
        ),
        sa.CheckConstraint(
            "link_kind IS NULL OR link_kind IN ('shipment', 'claim', 'source')",
            name="ck_discrepancy_link",
        ),
    )
    op.create_index("ix_discrepancy_event_claim_id", TABLE, ["claim_id"])
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
    op.drop_index("ix_discrepancy_event_claim_id", table_name=TABLE)
    op.drop_table(TABLE)  # its triggers go with it
