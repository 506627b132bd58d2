"""Alembic environment: runs on a connection handed in by storage.db.migrate()."""

from alembic import context

from storage.metadata import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    compare_type=True,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs ALTER via table copy
)
with context.begin_transaction():
    context.run_migrations()
