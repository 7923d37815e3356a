from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from tread_actionplans.directory.access import PlanWorker, Staff
from tread_actionplans.meetings import repository, service
from tread_actionplans.meetings.models import Meeting
from tread_actionplans.meetings.schemas import MeetingIn, MeetingOut, ObjectiveEvaluationIn
from tread_actionplans.plans.service import part_in_scope, plan_in_scope
from tread_shared.app import EventOutbox
from tread_shared.db.listing import list_page, sync_page
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession
from tread_shared.http.etag import set_etag
from tread_shared.http.pagination import Page, PageParams, page_params
from tread_shared.http.sync import Tombstone, UpdatedSince

router = APIRouter(prefix="/v1", tags=["meetings"])
Paging = Annotated[PageParams, Depends(page_params)]


def meeting_out(meeting: Meeting, action_ids: list[uuid.UUID]) -> MeetingOut:
    return MeetingOut(
        id=meeting.id,
        plan_id=meeting.plan_id,
        held_at=meeting.held_at,
        participants=meeting.participants,
        agenda=meeting.agenda,
        minutes=meeting.minutes,
        evaluations=[ObjectiveEvaluationIn.model_validate(e) for e in meeting.evaluations],
        corrective_action_ids=action_ids,
        recorded_by=meeting.recorded_by,
        created_at=meeting.created_at,
        updated_at=meeting.updated_at,
        version=meeting.version,
    )


@router.post("/plans/{plan_id}/meetings", status_code=status.HTTP_201_CREATED)
async def hold_meeting(
    plan_id: uuid.UUID,
    data: MeetingIn,
    session: DbSession,
    outbox: EventOutbox,
    caller: PlanWorker,
    response: Response,
) -> MeetingOut:
    """Record a follow-up meeting: participants, agenda, minutes, objective evaluations, and
    decisions, which become corrective actions in the same request."""
    plan = await plan_in_scope(session, caller, plan_id)
    meeting = await service.hold_meeting(session, outbox, caller, plan, data)
    response.headers["Location"] = f"/v1/meetings/{meeting.id}"
    set_etag(response, meeting.id, meeting.version)
    actions = await repository.actions_decided(session, [meeting.id])
    return meeting_out(meeting, actions[meeting.id])


@router.get("/plans/{plan_id}/meetings")
async def list_plan_meetings(
    plan_id: uuid.UUID,
    session: ReadSession,
    caller: Staff,
    page: Paging,
    updated_since: UpdatedSince = None,
) -> Page[MeetingOut | Tombstone]:
    await plan_in_scope(session, caller, plan_id)
    query = repository.visible(caller, plan_id)
    listed = await list_page(session, query, Meeting, page, updated_since=updated_since)
    actions = await repository.actions_decided(session, [m.id for m in listed.rows])
    return sync_page(listed, lambda m: meeting_out(m, actions[m.id]))


@router.get("/meetings")
async def list_meetings(
    session: ReadSession, caller: Staff, page: Paging, updated_since: UpdatedSince = None
) -> Page[MeetingOut | Tombstone]:
    """Follow-up meetings of the plans in the caller's scope."""
    query = repository.visible(caller)
    listed = await list_page(session, query, Meeting, page, updated_since=updated_since)
    actions = await repository.actions_decided(session, [m.id for m in listed.rows])
    return sync_page(listed, lambda m: meeting_out(m, actions[m.id]))


@router.get("/meetings/{meeting_id}")
async def get_meeting(
    meeting_id: uuid.UUID, session: ReadSession, caller: Staff, response: Response
) -> MeetingOut:
    meeting, _ = await part_in_scope(session, caller, Meeting, meeting_id, "meeting")
    set_etag(response, meeting.id, meeting.version)
    actions = await repository.actions_decided(session, [meeting.id])
    return meeting_out(meeting, actions[meeting.id])
