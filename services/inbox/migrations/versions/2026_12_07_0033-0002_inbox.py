"""Inbox: the account directory, items and who read them, the change sequence the push stream
follows, mail preferences, the mail outbox and the days whose digests were decided.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 00:33:51.481605
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import UTCDateTime
from tread_shared.directory.migration import (
    create_account_directory_table,
    drop_account_directory_table,
)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_account_directory_table()
    op.create_table(
        "change_counter",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counter")),
    )
    # The one counter of item changes, which every change moves on (see ChangeCounter).
    op.execute("INSERT INTO change_counter (name, position) VALUES ('items', 0)")
    op.create_table(
        "digest_run",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("ran_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_digest_run")),
    )
    op.create_table(
        "inbox_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column("resource_url", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("territory", sa.String(length=100), nullable=True),
        sa.Column("recipient_id", sa.String(length=200), nullable=True),
        sa.Column("for_account_manager", sa.Boolean(), nullable=False),
        sa.Column("for_key_account_manager", sa.Boolean(), nullable=False),
        sa.Column("for_district_manager", sa.Boolean(), nullable=False),
        sa.Column("for_central", sa.Boolean(), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
        sa.Column("done_at", UTCDateTime, nullable=True),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.Column("deleted_at", UTCDateTime, nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_item")),
        sa.UniqueConstraint("key", name=op.f("uq_inbox_item_key")),
    )
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_item_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbox_item_position"), ["position"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbox_item_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(
            "ix_inbox_item_resource", ["resource_type", "resource_id"], unique=False
        )
        batch_op.create_index("ix_inbox_item_updated", ["updated_at", "id"], unique=False)

    op.create_table(
        "item_receipt",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("read_at", UTCDateTime, nullable=True),
        sa.Column("done_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("item_id", "user_id", name=op.f("pk_item_receipt")),
    )
    op.create_table(
        "mail_subscriber",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("territories", sa.JSON(), nullable=False),
        sa.Column("deliveries", sa.JSON(), nullable=False),
        sa.Column("default_delivery", sa.String(length=10), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mail_subscriber")),
    )
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("claimed_until", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
        sa.UniqueConstraint("key", name=op.f("uq_outgoing_mail_key")),
    )
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.create_index("ix_outgoing_mail_due", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_mail_due")

    op.drop_table("outgoing_mail")
    op.drop_table("mail_subscriber")
    op.drop_table("item_receipt")
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_item_updated")
        batch_op.drop_index("ix_inbox_item_resource")
        batch_op.drop_index(batch_op.f("ix_inbox_item_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_inbox_item_position"))
        batch_op.drop_index(batch_op.f("ix_inbox_item_account_id"))

    op.drop_table("inbox_item")
    op.drop_table("digest_run")
    op.drop_table("change_counter")
    drop_account_directory_table()
