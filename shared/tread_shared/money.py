"""Money: an exact Decimal amount with its ISO 4217 currency, the same in APIs, events and storage.

Amounts keep between 2 and 4 decimals (``"1500"`` reads as ``1500.00``, ``"0.12345"`` is refused)
and are written as JSON strings, so no client ever sees a float. ``Money`` refuses negative
amounts; ``SignedMoney`` is for the few places where a negative amount means something
(corrections, balances)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from tread_shared.currencies import known_currency

MIN_DECIMALS = 2
MAX_DECIMALS = 4
# Storage is NUMERIC(20, 4): 16 digits before the point.
MAX_AMOUNT = Decimal(10) ** 16

# The pattern alone let "ZZZ" through; the static table of shared/tread_shared/currencies.py
# (no dependency to keep up to date for a list that changes once in years) refuses it.
CurrencyCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of a currency in use, upper case (CNY, EUR, USD…)",
        examples=["CNY"],
    ),
    AfterValidator(known_currency),
]


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were added, subtracted or compared."""


def exact_amount(value: Decimal) -> Decimal:
    """``value`` with 2 to 4 decimals, however it was written (``1.5E+3`` → ``1500.00``).

    Raises ``ValueError`` for NaN, infinity, more than 4 decimals or more than 16 digits
    before the point."""
    if not value.is_finite():
        raise ValueError("an amount must be a finite number")
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    decimals = max(MIN_DECIMALS, -exponent)
    if decimals > MAX_DECIMALS:
        raise ValueError(f"an amount has at most {MAX_DECIMALS} decimals")
    if abs(value) >= MAX_AMOUNT:
        raise ValueError("the amount is too large")
    return value.quantize(Decimal(1).scaleb(-decimals))


class Money(BaseModel):
    """An amount and its currency. Never negative (see ``SignedMoney``)."""

    model_config = ConfigDict(frozen=True)
    allow_negative: ClassVar[bool] = False

    amount: Decimal = Field(description="Exact decimal, 2 to 4 decimals", examples=["1500.00"])
    currency: CurrencyCode

    @field_validator("amount")
    @classmethod
    def _exact(cls, value: Decimal) -> Decimal:
        amount = exact_amount(value)
        if amount < 0 and not cls.allow_negative:
            raise ValueError("the amount must not be negative")
        return amount

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Self:
        """``Money.of("1500", "CNY")``."""
        return cls(amount=Decimal(amount), currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls(amount=Decimal(0), currency=currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Self:
        self._same_currency(other)
        return type(self)(amount=self.amount + other.amount, currency=self.currency)

    def minus(self, other: Money) -> SignedMoney:
        """The difference, which may be negative (a remaining budget overdrawn)."""
        self._same_currency(other)
        return SignedMoney(amount=self.amount - other.amount, currency=self.currency)

    def exceeds(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class SignedMoney(Money):
    """Money that may be negative."""

    allow_negative: ClassVar[bool] = True
