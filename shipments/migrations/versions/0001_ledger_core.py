"""Ledger core: sources, shipments with append-only revisions, and the seed marker.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("publisher", sa.String(200), nullable=False),
        sa.Column("title", sa.String(2000), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("published_date", sa.Date(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("url", name="uq_source_url"),
    )
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "shipment_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shipment_id", sa.Integer(), sa.ForeignKey("shipment.id"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("date_means", sa.String(16), nullable=False),
        sa.Column("donor", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("cargo", sa.String(200), nullable=False),
        sa.Column("cargo_description", sa.String(2000), nullable=True),
        sa.Column("note", sa.String(2000), nullable=True),
        sa.Column("mass_kg", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("shipment_id", "revision", name="uq_revision_shipment_revision"),
        sa.CheckConstraint("mass_kg > 0 AND mass_kg <= 100000000", name="ck_revision_mass_kg"),
        sa.CheckConstraint("date_means IN ('sent', 'received')", name="ck_revision_date_means"),
        sa.CheckConstraint("action IN ('append', 'correct', 'retract')", name="ck_revision_action"),
    )
    op.create_index("ix_shipment_revision_shipment_id", "shipment_revision", ["shipment_id"])
    op.create_index("ix_shipment_revision_recorded_at", "shipment_revision", ["recorded_at"])
    op.create_table(
        "revision_source",
        sa.Column(
            "revision_id",
            sa.Integer(),
            sa.ForeignKey("shipment_revision.id"),
            primary_key=True,
        ),
        sa.Column("source_id", sa.Integer(), sa.ForeignKey("source.id"), primary_key=True),
    )
    op.create_index("ix_revision_source_source_id", "revision_source", ["source_id"])
    op.create_table(
        "ledger_seed",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_seed")
    op.drop_index("ix_revision_source_source_id", table_name="revision_source")
    op.drop_table("revision_source")
    op.drop_index("ix_shipment_revision_recorded_at", table_name="shipment_revision")
    op.drop_index("ix_shipment_revision_shipment_id", table_name="shipment_revision")
    op.drop_table("shipment_revision")
    op.drop_table("shipment")
    op.drop_table("source")
