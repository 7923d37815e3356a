from __future__ import annotations

from fastapi import APIRouter

from tread_inbox.items.router import Reader
from tread_inbox.preferences import service
from tread_inbox.preferences.schemas import PreferencesIn, PreferencesOut
from tread_shared.db.reading import ReadSession
from tread_shared.db.session import DbSession

router = APIRouter(prefix="/v1/inbox/preferences", tags=["inbox"])


@router.get("")
async def get_mail_preferences(session: ReadSession, caller: Reader) -> PreferencesOut:
    """The caller's mail preferences; every kind off, and no address, until they are set."""
    return await service.get_preferences(session, caller)


@router.put("")
async def set_mail_preferences(
    body: PreferencesIn, session: DbSession, caller: Reader
) -> PreferencesOut:
    """Mail preferences by kind; the caller's roles and territories now decide what they carry."""
    return await service.set_preferences(session, caller, body)
