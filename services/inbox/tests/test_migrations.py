"""The migrations build exactly the tables the models describe, and undo cleanly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tread_inbox import MIGRATIONS_DIR
from tread_inbox.models import Base
from tread_shared.testing.service_checks import assert_migrations_match_models


async def test_head_matches_the_models_and_downgrades_to_the_first_revision(
    make_database: Callable[[str, Path], str],
) -> None:
    url = make_database("inbox", MIGRATIONS_DIR)
    await assert_migrations_match_models(url, MIGRATIONS_DIR, "inbox", Base.metadata)
