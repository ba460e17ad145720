"""shipment_revision.superseded_at: when the next revision of the same shipment was recorded.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

"As of T" becomes a range condition on each revision (recorded by T, not yet superseded at T)
instead of finding every shipment's latest revision by a GROUP BY over the whole history. A
revision is written once more, when the next one is recorded: the append-only triggers of 0007
now refuse any change to its other columns, and a change of ``superseded_at`` unless it sets a
time where there was none (so it is set once, and never cleared or moved).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "shipment_revision"
MESSAGE = "rows are never updated or deleted (the ledger is append-only)"
ONCE = "superseded_at is set once, when the next revision is recorded"
# Every column but superseded_at: an UPDATE naming any of them is refused.
KEPT = (
    "id, shipment_id, revision, action, reason, mass_kg, recorded_by, recorded_at, event_date,"
    " date_means, donor, recipient, cargo, cargo_description, note"
)
BACKFILL = (
    f"UPDATE {TABLE} SET superseded_at = (SELECT later.recorded_at FROM {TABLE} AS later"
    f" WHERE later.shipment_id = {TABLE}.shipment_id AND later.revision = {TABLE}.revision + 1)"
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(f"DROP TRIGGER ledger_keep_{TABLE} ON {TABLE}")
    else:
        op.execute(f"DROP TRIGGER ledger_keep_{TABLE}_update")
    op.add_column(TABLE, sa.Column("superseded_at", sa.DateTime(), nullable=True))
    op.execute(BACKFILL)
    op.create_index(f"ix_{TABLE}_superseded_at", TABLE, ["superseded_at"])
    if postgresql:
        op.execute(
            f"CREATE TRIGGER ledger_keep_{TABLE} BEFORE UPDATE OF {KEPT} OR DELETE ON {TABLE}"
            " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER ledger_keep_{TABLE}_superseded BEFORE UPDATE OF superseded_at"
            f" ON {TABLE} FOR EACH ROW"
            " WHEN (OLD.superseded_at IS NOT NULL OR NEW.superseded_at IS NULL)"
            " EXECUTE FUNCTION ledger_refuse_change()"
        )
        return
    op.execute(
        f"CREATE TRIGGER ledger_keep_{TABLE}_update BEFORE UPDATE OF {KEPT} ON {TABLE}"
        f" BEGIN SELECT RAISE(ABORT, '{TABLE}: {MESSAGE}'); END"
    )
    op.execute(
        f"CREATE TRIGGER ledger_keep_{TABLE}_superseded BEFORE UPDATE OF superseded_at ON {TABLE}"
        " WHEN OLD.superseded_at IS NOT NULL OR NEW.superseded_at IS NULL"
        f" BEGIN SELECT RAISE(ABORT, '{TABLE}: {MESSAGE}: {ONCE}'); END"
    )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(f"DROP TRIGGER ledger_keep_{TABLE}_superseded ON {TABLE}")
        op.execute(f"DROP TRIGGER ledger_keep_{TABLE} ON {TABLE}")
    else:
        op.execute(f"DROP TRIGGER ledger_keep_{TABLE}_superseded")
        op.execute(f"DROP TRIGGER ledger_keep_{TABLE}_update")
    op.drop_index(f"ix_{TABLE}_superseded_at", table_name=TABLE)
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN superseded_at")
    if postgresql:
        op.execute(
            f"CREATE TRIGGER ledger_keep_{TABLE} BEFORE UPDATE OR DELETE ON {TABLE}"
            " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
        )
        return
    op.execute(
        f"CREATE TRIGGER ledger_keep_{TABLE}_update BEFORE UPDATE ON {TABLE}"
        f" BEGIN SELECT RAISE(ABORT, '{TABLE}: {MESSAGE}'); END"
    )
