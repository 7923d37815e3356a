from collections.abc import Callable
from typing import Any

from tread_inbox import MIGRATIONS_DIR
from tread_inbox.app import create_app
from tread_inbox.settings import Settings
from tread_shared.testing.service_checks import assert_walking_skeleton


async def test_service_runs_and_announces_itself(
    make_settings: Callable[..., Any], token_factory: Callable[..., str]
) -> None:
    settings = make_settings(Settings, MIGRATIONS_DIR)
    await assert_walking_skeleton(create_app(settings), settings, token_factory("admin"))
