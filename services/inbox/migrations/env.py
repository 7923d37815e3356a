from tread_inbox.models import Base
from tread_shared.db.migrations import run_alembic_env

run_alembic_env(Base.metadata)
