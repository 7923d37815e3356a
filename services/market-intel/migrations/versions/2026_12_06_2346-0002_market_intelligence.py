"""Market intelligence: the catalogue and price books, catalogue imports, competitor products and
equivalences, selling arguments and their versions, observations, positioning bands,
subscriptions, digests and the account directory.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 23:46:57.107313
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tread_shared.db.types import ExactDecimal, UTCDateTime
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
        "arguments",
        sa.Column("product_code", sa.String(length=60), nullable=True),
        sa.Column("usage_type", sa.String(length=40), nullable=True),
        sa.Column("segment", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("proof_points", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=200), nullable=False),
        sa.Column("validated_by", sa.String(length=200), nullable=True),
        sa.Column("validated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arguments")),
    )
    with op.batch_alter_table("arguments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arguments_product_code"), ["product_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_arguments_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_arguments_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "catalogue_imports",
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("applied_rows", sa.Integer(), nullable=False),
        sa.Column("products_created", sa.Integer(), nullable=False),
        sa.Column("products_changed", sa.Integer(), nullable=False),
        sa.Column("prices_set", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_imports")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_catalogue_imports_file_sha256")),
    )
    with op.batch_alter_table("catalogue_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalogue_imports_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "competitor_products",
        sa.Column("competitor", sa.String(length=100), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("range", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("positioning", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competitor_products")),
    )
    with op.batch_alter_table("competitor_products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competitor_products_competitor"), ["competitor"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_competitor_products_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "digests",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("subscriber_id", sa.String(length=200), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("issued_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("subscription_id", "week", name=op.f("uq_digests_subscription_id")),
    )
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_digests_subscriber_id"), ["subscriber_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_digests_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "observations",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("product_code", sa.String(length=60), nullable=True),
        sa.Column("competitor", sa.String(length=100), nullable=True),
        sa.Column("competitor_product_id", sa.Uuid(), nullable=True),
        sa.Column("price_amount", ExactDecimal(precision=20, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("confidence", sa.String(length=10), nullable=False),
        sa.Column("observed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("outlier", sa.Boolean(), nullable=False),
        sa.Column("outlier_reason", sa.String(length=300), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observations")),
    )
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_observations_positioning",
            ["product_code", "territory", "observed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_observations_recorded_by"), ["recorded_by"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_observations_territory"), ["territory"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_observations_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "positioning_bands",
        sa.Column("product_code", sa.String(length=60), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("index", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "product_code", "territory", "month", name=op.f("pk_positioning_bands")
        ),
    )
    op.create_table(
        "products",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("range", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("usage_types", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_range"), ["range"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("subscriber_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=300), nullable=True),
        sa.Column("territories", sa.JSON(), nullable=False),
        sa.Column("competitors", sa.JSON(), nullable=False),
        sa.Column("ranges", sa.JSON(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriptions_subscriber_id"), ["subscriber_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subscriptions_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "argument_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("argument_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("claim", sa.Text(), nullable=False),
        sa.Column("proof_points", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("written_by", sa.String(length=200), nullable=False),
        sa.Column("written_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["argument_id"],
            ["arguments.id"],
            name=op.f("fk_argument_versions_argument_id_arguments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_argument_versions")),
        sa.UniqueConstraint("argument_id", "number", name=op.f("uq_argument_versions_argument_id")),
    )
    op.create_table(
        "equivalences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("competitor_product_id", sa.Uuid(), nullable=False),
        sa.Column("product_code", sa.String(length=60), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["competitor_product_id"],
            ["competitor_products.id"],
            name=op.f("fk_equivalences_competitor_product_id_competitor_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equivalences")),
        sa.UniqueConstraint(
            "competitor_product_id",
            "product_code",
            name=op.f("uq_equivalences_competitor_product_id"),
        ),
    )
    with op.batch_alter_table("equivalences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_equivalences_product_code"), ["product_code"], unique=False
        )

    op.create_table(
        "price_entries",
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("territory", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", ExactDecimal(precision=20, scale=4), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_price_entries_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_entries")),
        sa.UniqueConstraint(
            "product_id",
            "territory",
            "currency",
            "valid_from",
            name=op.f("uq_price_entries_product_id"),
        ),
    )
    with op.batch_alter_table("price_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_price_entries_lookup", ["product_id", "territory", "valid_from"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_price_entries_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("price_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_entries_updated_at"))
        batch_op.drop_index("ix_price_entries_lookup")

    op.drop_table("price_entries")
    with op.batch_alter_table("equivalences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equivalences_product_code"))

    op.drop_table("equivalences")
    op.drop_table("argument_versions")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_updated_at"))
        batch_op.drop_index(batch_op.f("ix_subscriptions_subscriber_id"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_updated_at"))
        batch_op.drop_index(batch_op.f("ix_products_range"))

    op.drop_table("products")
    op.drop_table("positioning_bands")
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observations_updated_at"))
        batch_op.drop_index(batch_op.f("ix_observations_territory"))
        batch_op.drop_index(batch_op.f("ix_observations_recorded_by"))
        batch_op.drop_index("ix_observations_positioning")

    op.drop_table("observations")
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digests_updated_at"))
        batch_op.drop_index(batch_op.f("ix_digests_subscriber_id"))

    op.drop_table("digests")
    with op.batch_alter_table("competitor_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competitor_products_updated_at"))
        batch_op.drop_index(batch_op.f("ix_competitor_products_competitor"))

    op.drop_table("competitor_products")
    with op.batch_alter_table("catalogue_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogue_imports_updated_at"))

    op.drop_table("catalogue_imports")
    with op.batch_alter_table("arguments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arguments_updated_at"))
        batch_op.drop_index(batch_op.f("ix_arguments_status"))
        batch_op.drop_index(batch_op.f("ix_arguments_product_code"))

    op.drop_table("arguments")
    drop_account_directory_table()
