"""Follow-up meetings: what was evaluated and decided. The objective evaluations and the
corrective actions the decisions become are recorded in the same request as the meeting, so a
meeting is never half recorded."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from tread_actionplans.deviations.models import Deviation
from tread_actionplans.deviations.service import add_action
from tread_actionplans.meetings.models import Meeting
from tread_actionplans.meetings.schemas import MeetingIn
from tread_actionplans.objectives.schemas import EvaluationIn
from tread_actionplans.objectives.service import evaluate, objective_of
from tread_actionplans.plans.models import Plan
from tread_actionplans.plans.service import require_open
from tread_shared.auth.principal import Principal
from tread_shared.errors import NotFound, Unprocessable
from tread_shared.events.emit import emit
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.actionplans import MeetingHeld


async def _deviation_of(session: AsyncSession, plan: Plan, deviation_id: uuid.UUID) -> Deviation:
    deviation = await session.get(Deviation, deviation_id)
    if deviation is None or deviation.plan_id != plan.id:
        raise Unprocessable(
            f"Plan {plan.id} has no deviation {deviation_id}.", slug="unknown-deviation"
        )
    return deviation


async def hold_meeting(
    session: AsyncSession, outbox: Outbox, principal: Principal, plan: Plan, data: MeetingIn
) -> Meeting:
    require_open(plan, "holding a follow-up meeting")
    meeting = Meeting(
        plan_id=plan.id,
        held_at=data.held_at,
        participants=data.participants,
        agenda=data.agenda,
        minutes=data.minutes,
        evaluations=[e.model_dump(mode="json") for e in data.evaluations],
        recorded_by=principal.sub,
    )
    session.add(meeting)
    await session.flush()
    for item in data.evaluations:
        try:
            objective = await objective_of(session, plan, item.objective_id)
        except NotFound:
            raise Unprocessable(
                f"Plan {plan.id} has no objective {item.objective_id}.",
                slug="unknown-objective",
            ) from None
        evaluation = EvaluationIn(score=item.score, comment=item.comment)
        await evaluate(session, outbox, principal, plan, objective, evaluation, meeting.id)
    action_ids = []
    for decision in data.decisions:
        deviation = (
            await _deviation_of(session, plan, decision.deviation_id)
            if decision.deviation_id is not None
            else None
        )
        action = await add_action(
            session, outbox, principal, plan, decision, deviation=deviation, meeting_id=meeting.id
        )
        action_ids.append(action.id)
    await emit(
        session,
        outbox,
        meeting,
        lambda: MeetingHeld(
            meeting_id=meeting.id,
            plan_id=plan.id,
            account_id=plan.account_id,
            territory=plan.territory,
            owner_id=plan.owner_id,
            held_at=meeting.held_at,
            participants=meeting.participants,
            objectives_evaluated=len(data.evaluations),
            corrective_action_ids=action_ids,
            recorded_by=principal.sub,
        ),
    )
    return meeting
