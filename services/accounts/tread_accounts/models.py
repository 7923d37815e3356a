"""Every table of the accounts service, in one place for Alembic."""

from tread_accounts.accounts.models import Account, AccountAssignment
from tread_accounts.activities.models import Activity
from tread_accounts.base import Base
from tread_accounts.cases.models import Case, CaseComment
from tread_accounts.contacts.models import Contact
from tread_accounts.integrations.models import AccountFinancials, SellInVolume, WebhookReceipt
from tread_accounts.potential.models import PotentialQualification
from tread_accounts.qualification.models import Qualification

__all__ = [
    "Account",
    "AccountAssignment",
    "AccountFinancials",
    "Activity",
    "Base",
    "Case",
    "CaseComment",
    "Contact",
    "PotentialQualification",
    "Qualification",
    "SellInVolume",
    "WebhookReceipt",
]
