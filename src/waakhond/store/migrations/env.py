"""Alembic environment: run against the connection handed over by :meth:`Database.migrate`."""

from __future__ import annotations

from alembic import context

from waakhond.store.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic path is supported
    raise RuntimeError("run migrations through `waakhond db upgrade` or Database.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
