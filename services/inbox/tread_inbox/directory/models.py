from __future__ import annotations

from tread_inbox.base import Base
from tread_shared.directory.models import AccountDirectoryMixin


class AccountDirectory(AccountDirectoryMixin, Base):
    __tablename__ = "account_directory"
