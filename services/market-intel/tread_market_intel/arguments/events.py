from __future__ import annotations

from tread_market_intel.arguments.models import Argument
from tread_shared.clock import utcnow
from tread_shared.events.payloads.market_intel import (
    ArgumentRetired,
    ArgumentState,
    ArgumentValidated,
)
from tread_shared.events.registry import EventPayload


def argument_state(argument: Argument) -> ArgumentState:
    return ArgumentState(
        argument_id=argument.id,
        argument_version=argument.current_version,
        product_code=argument.product_code,
        usage_type=argument.usage_type,
        segment=argument.segment,
        title=argument.title,
        claim=argument.claim,
        proof_points=list(argument.proof_points),
        sources=list(argument.sources),
    )


ANNOUNCED = ("validated", "retired")


def argument_moved(argument: Argument, by: str) -> EventPayload:
    """The event of the argument's new status (one of ``ANNOUNCED``): the field hears of it."""
    state = argument_state(argument)
    if argument.status == "validated":
        assert argument.validated_at is not None
        return ArgumentValidated(
            argument=state, validated_by=by, validated_at=argument.validated_at
        )
    return ArgumentRetired(argument=state, retired_by=by, retired_at=utcnow())
