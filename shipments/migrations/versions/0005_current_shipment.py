"""current_shipment: each current shipment's latest facts, kept in step with every write.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    current = op.create_table(
        "current_shipment",
        sa.Column("shipment_id", sa.Integer(), sa.ForeignKey("shipment.id"), primary_key=True),
        sa.Column(
            "revision_id", sa.Integer(), sa.ForeignKey("shipment_revision.id"), nullable=False
        ),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("donor", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("cargo", sa.String(200), nullable=False),
        sa.Column("mass_kg", sa.Integer(), nullable=False),
        # Casefolding can lengthen a name ("ß" -> "ss"): room for three times as long.
        sa.Column("donor_key", sa.String(600), nullable=False),
        sa.Column("recipient_key", sa.String(600), nullable=False),
        sa.Column("cargo_key", sa.String(600), nullable=False),
    )
    # Covering indexes (mass_kg included): totals and daily series read the index alone.
    op.create_index("ix_current_shipment_event_date", "current_shipment", ["event_date", "mass_kg"])
    for name in ("donor", "recipient", "cargo"):
        op.create_index(
            f"ix_current_shipment_{name}", "current_shipment", [name, "event_date", "mass_kg"]
        )
    op.create_index(
        "ix_current_shipment_keys",
        "current_shipment",
        ["donor_key", "recipient_key", "event_date", "mass_kg"],
    )
    # Fill it from the history: each shipment's latest revision, unless it is a retraction.
    # Names are casefolded in Python, the same way the application does it.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT r.id, r.shipment_id, r.event_date, r.donor, r.recipient, r.cargo, r.mass_kg"
            " FROM shipment_revision r JOIN (SELECT shipment_id, MAX(revision) AS revision"
            " FROM shipment_revision GROUP BY shipment_id) latest"
            " ON latest.shipment_id = r.shipment_id AND latest.revision = r.revision"
            " WHERE r.action != 'retract'"
        ).execution_options(stream_results=True)  # a server-side cursor on PostgreSQL
    )
    while batch := rows.fetchmany(10_000):
        op.bulk_insert(
            current,
            [
                {
                    "shipment_id": shipment_id,
                    "revision_id": revision_id,
                    "event_date": date.fromisoformat(event_date)
                    if isinstance(event_date, str)
                    else event_date,
                    "donor": donor,
                    "recipient": recipient,
                    "cargo": cargo,
                    "mass_kg": mass_kg,
                    "donor_key": donor.casefold(),
                    "recipient_key": recipient.casefold(),
                    "cargo_key": cargo.casefold(),
                }
                for revision_id, shipment_id, event_date, donor, recipient, cargo, mass_kg in batch
            ],
        )


def downgrade() -> None:
    op.drop_table("current_shipment")
