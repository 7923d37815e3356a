"""A request body's base: unknown fields refused, booleans and integers as documented, the rest
of pydantic's parsing (dates, ids as JSON strings) as before."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import pytest
from pydantic import Field, ValidationError

from tread_shared.http.inputs import Input


class Visit(Input):
    on: date
    account_id: uuid.UUID
    done: bool = False
    duration_minutes: Annotated[int, Field(ge=0)] | None = None


GOOD = {"on": "2027-03-01", "account_id": "0192f0c4-0000-7000-8000-000000000000"}


def test_json_strings_still_make_dates_and_ids_and_true_or_false_a_flag() -> None:
    visit = Visit.model_validate({**GOOD, "done": True, "duration_minutes": 45})
    assert (visit.on, visit.done, visit.duration_minutes) == (date(2027, 3, 1), True, 45)
    assert Visit.model_validate({**GOOD, "duration_minutes": None}).duration_minutes is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("done", 0), ("done", 1), ("done", "yes"), ("done", "false"), ("duration_minutes", True)],
)
def test_a_flag_takes_only_true_or_false_and_a_number_never_a_flag(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        Visit.model_validate({**GOOD, field: value})
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Visit.model_validate({**GOOD, "version": 3})
    assert [error["type"] for error in refused.value.errors()] == ["extra_forbidden"]
