"""editor_session (signed-in browsers), sign_in_throttle (failures counted per name and client
address), sign_in_event.address.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Neither new table is append-only (0007): a session's ``last_seen_at`` and ``revoked_at`` and a
throttle's counters are updated in place, which is the point of both. ``sign_in_event.address``
is added with ALTER TABLE ... ADD COLUMN, as in 0008.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "editor_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("editor_id", sa.Integer(), sa.ForeignKey("editor.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("address", sa.String(255), nullable=True),
        sa.UniqueConstraint("token_sha256", name="uq_editor_session_token_sha256"),
    )
    op.create_index("ix_editor_session_editor_id", "editor_session", ["editor_id"])
    op.create_table(
        "sign_in_throttle",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("throttled", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("name", "address", name="uq_sign_in_throttle_name_address"),
    )
    op.create_index("ix_sign_in_throttle_address", "sign_in_throttle", ["address"])
    op.add_column("sign_in_event", sa.Column("address", sa.String(255), nullable=True))


def downgrade() -> None:
    op.drop_column("sign_in_event", "address")
    op.drop_index("ix_sign_in_throttle_address", table_name="sign_in_throttle")
    op.drop_table("sign_in_throttle")
    op.drop_index("ix_editor_session_editor_id", table_name="editor_session")
    op.drop_table("editor_session")
