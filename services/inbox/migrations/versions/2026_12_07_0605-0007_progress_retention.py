"""Decision progress records when each step was applied, so that settled resources' progress
can be forgotten; the highest position of the departures forgotten is kept, so that a push
stream resuming from before it is told to list again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applied_at", UTCDateTime, nullable=True))
    # Steps applied before: the time they were taken is the best known.
    op.execute("UPDATE decision_progress SET applied_at = stepped_at")
    with op.batch_alter_table("decision_progress", schema=None) as batch_op:
        batch_op.alter_column("applied_at", existing_type=UTCDateTime, nullable=False)
        batch_op.create_index(
            batch_op.f("ix_decision_progress_applied_at"), ["applied_at"], unique=False
        )
    # No departure forgotten yet is "none": a stream resuming from anywhere missed nothing.
    op.execute("INSERT INTO change_counter (name, position) VALUES ('departures_forgotten', 0)")


def downgrade() -> None:
    op.execute("DELETE FROM change_counter WHERE name = 'departures_forgotten'")
    with op.batch_alter_table("decision_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_progress_applied_at"))
        batch_op.drop_column("applied_at")
