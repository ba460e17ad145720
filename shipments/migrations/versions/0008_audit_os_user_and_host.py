"""audit_event.os_user and .host: who ran a command-line write, and on which machine.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Both columns are nullable: events recorded before this revision, and every write made through
the dashboard, have neither. They are added with ALTER TABLE ... ADD COLUMN on both backends, not
with batch_alter_table: on SQLite a batch copies the table and would drop the append-only
triggers of 0007, which must keep refusing UPDATE and DELETE on audit_event.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("os_user", sa.String(200), nullable=True))
    op.add_column("audit_event", sa.Column("host", sa.String(255), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later) keeps the triggers, as above.
    op.drop_column("audit_event", "host")
    op.drop_column("audit_event", "os_user")
