"""Counts a client may send: bounded, so that none reaches the database's integer limits.

A tier's ``min_annual_volume`` of 2**63 was accepted and then overflowed PostgreSQL's BIGINT
(a 500); a path parameter of 9223372036854775808 did the same in a query. Two thousand million
is beyond any volume, count or version number Tread's business has, and fits every integer
column (32-bit included)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_COUNT = 2**31 - 1

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A number of things (units, tyres, days): 0 to 2,147,483,647."""

PositiveCount = Annotated[int, Field(ge=1, le=MAX_COUNT)]
"""A count or a number in a sequence (a version) that starts at 1."""
