from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, EmailStr, Field

from tread_inbox.items.kinds import ItemKind
from tread_shared.http.inputs import Input

Delivery = Literal["immediate", "daily", "off"]


class PreferencesIn(Input):
    email: EmailStr = Field(description="Where the mails go.")
    default: Delivery = Field(default="daily", description="For every kind not named in ``kinds``.")
    kinds: dict[ItemKind, Delivery] = Field(
        default_factory=dict, description="immediate, daily (one digest a day) or off, by kind."
    )


class PreferencesOut(BaseModel):
    email: str | None = Field(description="None until the caller sets preferences: no mails.")
    default: Delivery
    kinds: dict[ItemKind, Delivery]
    updated_at: datetime | None
