"""Alembic environment: run against the connection the ledger hands over, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from shipments import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from shipments.db import make_engine

target_metadata = SQLModel.metadata


def run_migrations(connection: object) -> None:
    """Run the migrations on one connection; batch mode lets SQLite alter tables."""
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    with make_engine().begin() as own_connection:
        run_migrations(own_connection)
