"""Working transverse cases.

Who may do what:
- open a case: whoever may change the account (account, district and key account managers in
  their scope, admins); the credit and billing systems open theirs through the webhooks;
- read: whoever may read the account (central reads every case);
- work it (status, priority, description, comments): admins, the assignee (central staff), and
  whoever may change the account;
- assign it: admins, district managers in their scope, and the assignee handing it over."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tread_accounts.access import may_change, visible_accounts
from tread_accounts.accounts.models import Account
from tread_accounts.accounts.service import in_account_scope, refuse_fields
from tread_accounts.cases import repository
from tread_accounts.cases.events import record_case_event
from tread_accounts.cases.models import Case, CaseComment
from tread_accounts.cases.schemas import CaseCreate, CaseFilters, CasePatch
from tread_accounts.cases.workflow import TRANSITIONS, can_move, due_at
from tread_accounts.settings import Settings
from tread_shared.auth.principal import Principal, Role
from tread_shared.clock import utcnow
from tread_shared.db.listing import Listed
from tread_shared.errors import Conflict, Forbidden
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.accounts import (
    CaseAssigned,
    CaseCommented,
    CaseEscalated,
    CaseOpened,
    CaseStatusChanged,
    CaseUpdated,
)
from tread_shared.http.pagination import PageParams
from tread_shared.ids import new_id

ESCALATION_BATCH = 200


async def case_in_scope(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID
) -> tuple[Case, Account]:
    """The case and its account if ``principal`` may read the account; 404 otherwise."""
    case = await repository.get_live(session, case_id)
    return await in_account_scope(session, principal, case, missing=f"No case {case_id}.")


def may_work(principal: Principal, case: Case, account: Account) -> bool:
    assignee = principal.has_role(Role.CENTRAL) and case.assignee_id == principal.sub
    return principal.is_admin or assignee or may_change(principal, account)


def may_assign(principal: Principal, case: Case, account: Account) -> bool:
    district_manager = principal.has_role(Role.DISTRICT_MANAGER) and may_change(principal, account)
    handing_over = principal.has_role(Role.CENTRAL) and case.assignee_id == principal.sub
    return principal.is_admin or district_manager or handing_over


async def open_case(
    session: AsyncSession,
    outbox: Outbox,
    settings: Settings,
    account: Account,
    *,
    category: str,
    priority: str,
    description: str,
    opened_by: str,
    source: str = "user",
    title: str | None = None,
    assignee_id: str | None = None,
    external_reference: str | None = None,
) -> Case:
    """Open a case; its due date comes from the SLA rules, its assignee (when not given) from
    the routing of its category."""
    now = utcnow()
    case = Case(
        account_id=account.id,
        title=title,
        category=category,
        priority=priority,
        status="open",
        description=description,
        assignee_id=assignee_id or settings.case_routing.get(category),
        opened_by=opened_by,
        source=source,
        external_reference=external_reference,
        opened_at=now,
        due_at=due_at(now, category, priority, settings.case_sla_rules),
    )
    session.add(case)
    await record_case_event(session, outbox, CaseOpened, case)
    return case


async def raise_case(
    session: AsyncSession,
    outbox: Outbox,
    settings: Settings,
    principal: Principal,
    account: Account,
    data: CaseCreate,
) -> Case:
    if data.assignee_id is not None and not principal.has_role(Role.ADMIN, Role.DISTRICT_MANAGER):
        refuse_fields(["assignee_id"], "admins and district managers assign cases.")
    return await open_case(
        session,
        outbox,
        settings,
        account,
        category=data.category,
        priority=data.priority,
        description=data.description,
        title=data.title,
        assignee_id=data.assignee_id,
        opened_by=principal.sub,
    )


async def work_case(
    session: AsyncSession,
    outbox: Outbox,
    settings: Settings,
    principal: Principal,
    case: Case,
    account: Account,
    patch: CasePatch,
) -> Case:
    if not may_work(principal, case, account):
        raise Forbidden("Only the assignee, an admin or the account's managers work this case.")
    sent: dict[str, Any] = {n: getattr(patch, n) for n in patch.model_fields_set}
    changes = {n: v for n, v in sent.items() if getattr(case, n) != v}
    if "assignee_id" in sent and not may_assign(principal, case, account):
        refuse_fields(["assignee_id"], "admins, district managers and the assignee assign cases.")
    if not changes:
        return case
    previous_status, previous_assignee = case.status, case.assignee_id
    if "status" in changes:
        _move(case, changes.pop("status"))
    details = sorted(n for n in changes if n != "assignee_id")
    for name, value in changes.items():
        setattr(case, name, value)
    if {"category", "priority"} & set(details):
        new_due = due_at(case.opened_at, case.category, case.priority, settings.case_sla_rules)
        if new_due != case.due_at:
            # A new SLA is a new chance: the case escalates again if it misses this one too.
            case.due_at, case.escalated_at = new_due, None
    if details:
        await record_case_event(
            session, outbox, CaseUpdated, case, changed_fields=details, changed_by=principal.sub
        )
    if case.status != previous_status:
        await record_case_event(
            session,
            outbox,
            CaseStatusChanged,
            case,
            previous_status=previous_status,
            changed_by=principal.sub,
        )
    if case.assignee_id != previous_assignee:
        await record_case_event(
            session,
            outbox,
            CaseAssigned,
            case,
            previous_assignee_id=previous_assignee,
            assigned_by=principal.sub,
        )
    return case


def _move(case: Case, target: str) -> None:
    if not can_move(case.status, target):
        raise Conflict(
            f"A case cannot go from {case.status} to {target}.",
            slug="illegal-transition",
            status_now=case.status,
            allowed=list(TRANSITIONS[case.status]),
        )
    now = utcnow()
    if target == "resolved":
        case.resolved_at = now
    elif target == "closed":
        case.closed_at = now
    elif case.status == "resolved":
        case.resolved_at = None
    case.status = target


async def comment(
    session: AsyncSession,
    outbox: Outbox,
    principal: Principal,
    case: Case,
    account: Account,
    body: str,
) -> CaseComment:
    if not may_work(principal, case, account):
        raise Forbidden("Only the assignee, an admin or the account's managers comment here.")
    note = CaseComment(
        id=new_id(), case_id=case.id, author_id=principal.sub, body=body, created_at=utcnow()
    )
    session.add(note)
    await record_case_event(
        session, outbox, CaseCommented, case, comment_id=note.id, author_id=principal.sub
    )
    return note


async def comments(session: AsyncSession, case: Case) -> list[CaseComment]:
    return list(await repository.comments(session, case.id))


async def list_cases(
    session: AsyncSession,
    principal: Principal,
    filters: CaseFilters,
    page: PageParams,
    updated_since: datetime | None,
) -> Listed[Case]:
    return await repository.list_cases(
        session, visible_accounts(principal), filters, page, updated_since, utcnow()
    )


async def escalate_overdue_cases(session: AsyncSession, outbox: Outbox) -> int:
    """Escalate the cases past their due date (the periodic job); returns how many."""
    escalated = await repository.mark_overdue_escalated(session, utcnow(), ESCALATION_BATCH)
    for case in escalated:
        await record_case_event(session, outbox, CaseEscalated, case)
    return len(escalated)
