"""Every date, time and count a client may send is bounded (tread_shared.dates, .quantities),
and every body model takes booleans and integers only as their JSON types (JsonBody)."""

from fastapi import FastAPI

from tread_shared.testing.service_checks import assert_bodies_checked, assert_inputs_bounded


def test_every_date_and_count_a_client_may_send_is_bounded(app: FastAPI) -> None:
    assert_inputs_bounded(app)


def test_every_body_model_takes_booleans_and_integers_as_documented(app: FastAPI) -> None:
    assert_bodies_checked(app)
