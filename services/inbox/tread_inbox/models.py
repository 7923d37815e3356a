"""Every table of the inbox service, in one place for Alembic."""

from tread_inbox.base import Base
from tread_inbox.directory.models import AccountDirectory
from tread_inbox.items.models import (
    DecisionProgress,
    InboxItem,
    ItemDeparture,
    ItemReceipt,
    OpenItemCount,
)
from tread_inbox.mail.models import DigestRun, OutgoingMail
from tread_inbox.preferences.models import MailSubscriber
from tread_inbox.stream.models import ChangeCounter

__all__ = [
    "AccountDirectory",
    "Base",
    "ChangeCounter",
    "DecisionProgress",
    "DigestRun",
    "InboxItem",
    "ItemDeparture",
    "ItemReceipt",
    "MailSubscriber",
    "OpenItemCount",
    "OutgoingMail",
]
