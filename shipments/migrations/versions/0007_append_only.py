"""Append-only in the database too: triggers refuse updating or deleting recorded history.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

The history tables (shipments, their revisions and sources, claims and their readings, the audit
trail) refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE); an import batch refuses changes
to what it recorded (file, SHA-256, who, when) while its counters stay writable. The
current_shipment projection, editor accounts, sign-in attempts and form keys stay writable.
A later migration that rebuilds one of these tables on SQLite (batch_alter_table copies the
table) must create its triggers again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Table -> the columns whose update is refused (None: every column).
PROTECTED: dict[str, tuple[str, ...] | None] = {
    "shipment": None,
    "shipment_revision": None,
    "revision_source": None,
    "source": None,
    "claim": None,
    "claim_reading": None,
    "audit_event": None,
    "import_batch": ("file_name", "sha256", "recorded_by", "recorded_at"),
}
MESSAGE = "rows are never updated or deleted (the ledger is append-only)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '%: {MESSAGE}', TG_TABLE_NAME; END $$"
        )
        for table, columns in PROTECTED.items():
            of = f" OF {', '.join(columns)}" if columns else ""
            op.execute(
                f"CREATE TRIGGER ledger_keep_{table} BEFORE UPDATE{of} OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER ledger_keep_{table}_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()"
            )
        return
    for table, columns in PROTECTED.items():
        of = f" OF {', '.join(columns)}" if columns else ""
        for action, event in (("update", f"UPDATE{of}"), ("delete", "DELETE")):
            op.execute(
                f"CREATE TRIGGER ledger_keep_{table}_{action} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table}: {MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PROTECTED:
            op.execute(f"DROP TRIGGER ledger_keep_{table} ON {table}")
            op.execute(f"DROP TRIGGER ledger_keep_{table}_truncate ON {table}")
        op.execute("DROP FUNCTION ledger_refuse_change()")
        return
    for table in PROTECTED:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER ledger_keep_{table}_{action}")
