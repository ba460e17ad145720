"""Claims: reported figures with their source, and the readings of their scope.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("source.id"), nullable=False),
        sa.Column("claimant", sa.String(200), nullable=False),
        sa.Column("stated_on", sa.Date(), nullable=True),
        sa.Column("quote", sa.String(2000), nullable=False),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("value", sa.String(32), nullable=False),
        sa.Column("qualifier", sa.String(16), nullable=False),
        sa.Column("tolerance_pct", sa.Numeric(6, 2), nullable=True),
        sa.Column("note", sa.String(2000), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("metric IN ('tonnes', 'deliveries')", name="ck_claim_metric"),
        sa.CheckConstraint(
            "qualifier IN ('exact', 'approximately', 'at_least', 'at_most')",
            name="ck_claim_qualifier",
        ),
    )
    op.create_index("ix_claim_source_id", "claim", ["source_id"])
    op.create_table(
        "claim_reading",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("claim_id", sa.Integer(), sa.ForeignKey("claim.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("inclusive", sa.Boolean(), nullable=False),
        sa.Column("donor", sa.String(200), nullable=True),
        sa.Column("recipient", sa.String(200), nullable=True),
        sa.Column("cargo", sa.String(200), nullable=True),
        sa.UniqueConstraint("claim_id", "position", name="uq_claim_reading_position"),
        sa.CheckConstraint("scope IN ('cumulative', 'single', 'period')", name="ck_reading_scope"),
    )
    op.create_index("ix_claim_reading_claim_id", "claim_reading", ["claim_id"])
    op.create_index("ix_shipment_revision_event_date", "shipment_revision", ["event_date"])


def downgrade() -> None:
    op.drop_index("ix_shipment_revision_event_date", table_name="shipment_revision")
    op.drop_index("ix_claim_reading_claim_id", table_name="claim_reading")
    op.drop_table("claim_reading")
    op.drop_index("ix_claim_source_id", table_name="claim")
    op.drop_table("claim")
