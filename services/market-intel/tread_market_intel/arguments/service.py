"""Selling arguments: written by central and the field's managers, validated by central, shown
to the field once validated (see ``workflow``)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.arguments import repository
from tread_market_intel.arguments.events import argument_moved
from tread_market_intel.arguments.models import Argument, ArgumentVersion
from tread_market_intel.arguments.schemas import ArgumentIn, ArgumentPatch
from tread_market_intel.arguments.workflow import CENTRAL_MOVES, TRANSITIONS, can_move
from tread_market_intel.products import repository as products
from tread_shared.auth.principal import Principal, Role
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox

TEXT_FIELDS = ("title", "claim", "proof_points", "sources")


async def argument_of(
    session: AsyncSession, principal: Principal, argument_id: uuid.UUID
) -> Argument:
    argument = await repository.visible(session, principal, argument_id)
    if argument is None:
        raise NotFound(f"No argument {argument_id}.")
    return argument


def _version(argument: Argument, number: int, by: str) -> ArgumentVersion:
    return ArgumentVersion(
        argument_id=argument.id,
        number=number,
        title=argument.title,
        claim=argument.claim,
        proof_points=list(argument.proof_points),
        sources=list(argument.sources),
        written_by=by,
        written_at=utcnow(),
    )


async def write(session: AsyncSession, principal: Principal, data: ArgumentIn) -> Argument:
    if data.product_code is not None and await products.by_code(session, data.product_code) is None:
        raise Unprocessable(
            f"Product {data.product_code} is not in the catalogue.",
            slug="unknown-product",
            product_codes=[data.product_code],
        )
    argument = Argument(
        **data.model_dump(), status="draft", current_version=1, author_id=principal.sub
    )
    session.add(argument)
    await flush_changes(session)
    session.add(_version(argument, 1, principal.sub))
    return argument


def _may_act(principal: Principal, argument: Argument, target: str | None) -> None:
    central = principal.has_role(Role.CENTRAL, Role.ADMIN)
    if target in CENTRAL_MOVES and not central:
        raise Forbidden("Only central validates, sends back or retires an argument.")
    if not central and argument.author_id != principal.sub:
        raise Forbidden("Only its author or central changes an argument.")


async def work(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    argument: Argument,
    patch: ArgumentPatch,
) -> Argument:
    sent = patch.model_fields_set
    target = patch.status if "status" in sent and patch.status != argument.status else None
    text = {n: getattr(patch, n) for n in TEXT_FIELDS if n in sent}
    text = {n: v for n, v in text.items() if getattr(argument, n) != v}
    _may_act(principal, argument, target)
    if text:
        if argument.status != "draft":
            raise Conflict(
                f"Argument {argument.id} is {argument.status}: its text changes only as a draft.",
                slug="argument-not-draft",
                status_now=argument.status,
                allowed=list(TRANSITIONS[argument.status]),
            )
        for name, value in text.items():
            setattr(argument, name, value)
        argument.current_version += 1
        session.add(_version(argument, argument.current_version, principal.sub))
    if target is not None:
        _move(argument, target, principal.sub)
    if not text and target is None:
        return argument
    if target is not None:
        await emit(session, outbox, argument, lambda: argument_moved(argument, principal.sub))
    else:
        await flush_changes(session)
    return argument


def _move(argument: Argument, target: str, by: str) -> None:
    if not can_move(argument.status, target):
        raise Conflict(
            f"An argument cannot go from {argument.status} to {target}.",
            slug="illegal-transition",
            status_now=argument.status,
            allowed=list(TRANSITIONS[argument.status]),
        )
    if target == "validated":
        argument.validated_by, argument.validated_at = by, utcnow()
    argument.status = target
