"""Every date, time and count a client may send is bounded (tread_shared.dates, .quantities)."""

from fastapi import FastAPI

from tread_shared.testing.service_checks import assert_inputs_bounded


def test_every_date_and_count_a_client_may_send_is_bounded(app: FastAPI) -> None:
    assert_inputs_bounded(app)
