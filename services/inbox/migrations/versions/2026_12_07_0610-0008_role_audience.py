"""Each item keeps its account's audience (owner, key account manager, territory) so that each
role's page is one index; open items are counted per role audience and kind for the unread
counts. Both filled from the rows there are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_owner_id", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("account_key_account_manager_id", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("account_territory", sa.String(length=100), nullable=True))
    # The audience of the items of every account known here and not deleted. UPDATE … FROM
    # on PostgreSQL (one join); SQLite has it only from 3.33, so there one lookup per column.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE inbox_item SET account_owner_id = d.owner_id,"
            " account_key_account_manager_id = d.key_account_manager_id,"
            " account_territory = d.territory"
            " FROM account_directory AS d"
            " WHERE d.account_id = inbox_item.account_id AND NOT d.deleted"
        )
    else:
        entry = (
            "(SELECT d.{column} FROM account_directory AS d"
            " WHERE d.account_id = inbox_item.account_id AND NOT d.deleted)"
        )
        op.execute(
            "UPDATE inbox_item SET"
            f" account_owner_id = {entry.format(column='owner_id')},"
            " account_key_account_manager_id"
            f" = {entry.format(column='key_account_manager_id')},"
            f" account_territory = {entry.format(column='territory')}"
            " WHERE account_id IS NOT NULL"
        )
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbox_item_account_owner", ["account_owner_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_inbox_item_account_kam", ["account_key_account_manager_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_inbox_item_account_territory", ["account_territory", "id"], unique=False
        )
    op.create_table(
        "open_item_count",
        sa.Column("owner_id", sa.String(length=200), nullable=False),
        sa.Column("key_account_manager_id", sa.String(length=200), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("for_central", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "owner_id",
            "key_account_manager_id",
            "territory",
            "for_central",
            "kind",
            name=op.f("pk_open_item_count"),
        ),
    )
    with op.batch_alter_table("open_item_count", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_open_item_count_for_central"), ["for_central"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_open_item_count_key_account_manager_id"),
            ["key_account_manager_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_open_item_count_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_open_item_count_territory"), ["territory"], unique=False
        )
    # The open items by role audience (as service.open_audience counts them).
    op.execute(
        "INSERT INTO open_item_count"
        " (owner_id, key_account_manager_id, territory, for_central, kind, open)"
        " SELECT owner_id, key_account_manager_id, territory, for_central, kind, COUNT(*)"
        " FROM (SELECT"
        "  CASE WHEN for_account_manager THEN COALESCE(account_owner_id, '') ELSE '' END"
        "   AS owner_id,"
        "  CASE WHEN for_key_account_manager"
        "   THEN COALESCE(account_key_account_manager_id, '') ELSE '' END"
        "   AS key_account_manager_id,"
        "  CASE WHEN for_district_manager THEN COALESCE(CASE WHEN account_id IS NULL"
        "   THEN territory ELSE account_territory END, '') ELSE '' END AS territory,"
        "  for_central, kind"
        "  FROM inbox_item"
        "  WHERE recipient_id IS NULL AND done_at IS NULL AND deleted_at IS NULL"
        "  AND (account_id IS NULL OR account_owner_id IS NOT NULL)) AS open_items"
        " WHERE owner_id <> '' OR key_account_manager_id <> '' OR territory <> ''"
        " OR for_central"
        " GROUP BY owner_id, key_account_manager_id, territory, for_central, kind"
    )


def downgrade() -> None:
    with op.batch_alter_table("open_item_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open_item_count_territory"))
        batch_op.drop_index(batch_op.f("ix_open_item_count_owner_id"))
        batch_op.drop_index(batch_op.f("ix_open_item_count_key_account_manager_id"))
        batch_op.drop_index(batch_op.f("ix_open_item_count_for_central"))
    op.drop_table("open_item_count")
    with op.batch_alter_table("inbox_item", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_item_account_territory")
        batch_op.drop_index("ix_inbox_item_account_kam")
        batch_op.drop_index("ix_inbox_item_account_owner")
        batch_op.drop_column("account_territory")
        batch_op.drop_column("account_key_account_manager_id")
        batch_op.drop_column("account_owner_id")
