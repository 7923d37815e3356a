from tread_shared.db.base import service_metadata
from tread_shared.db.migrations import run_alembic_env

# The depot test schema has no ORM models: its tables are written in the migration itself.
run_alembic_env(service_metadata())
