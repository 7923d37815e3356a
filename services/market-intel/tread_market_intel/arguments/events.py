from __future__ import annotations

from tread_market_intel.arguments.models import Argument
from tread_shared.clock import utcnow
from tread_shared.events.payloads.market_intel import (
    ArgumentRetired,
    ArgumentSentBack,
    ArgumentState,
    ArgumentSubmitted,
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


def argument_moved(argument: Argument, by: str) -> EventPayload:
    """The event of the argument's new status. Every move is announced: central hears of a
    submission (the inbox's item to validate), the field of a validation or a retirement, and a
    send-back to draft closes what waited."""
    state = argument_state(argument)
    if argument.status == "submitted":
        return ArgumentSubmitted(argument=state, submitted_by=by, submitted_at=utcnow())
    if argument.status == "draft":
        return ArgumentSentBack(argument=state, sent_back_by=by, sent_back_at=utcnow())
    if argument.status == "validated":
        assert argument.validated_at is not None
        return ArgumentValidated(
            argument=state, validated_by=by, validated_at=argument.validated_at
        )
    return ArgumentRetired(argument=state, retired_by=by, retired_at=utcnow())
