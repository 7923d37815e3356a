"""Price positioning: per month, the competitor prices observed against the own list price in
force at the month's end (the running month: today).

Each price is compared with the list price of its own product in its territory and currency,
so a range mixes products fairly: the index is the median of those ratios x 100 (for a single
product and month, the competitor median ÷ the list price x 100). Outliers are left out and
counted; prices with no list price in force to compare with are counted as ``unpriced``.

The band: when a month's index for a product and territory moves from below, within or above
``[positioning_band_low, positioning_band_high]`` to another of the three (the first index
counts as coming from within), ``price_positioning.changed`` is emitted."""

from __future__ import annotations

import calendar
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tread_market_intel.observations.models import Observation
from tread_market_intel.positioning import repository
from tread_market_intel.positioning.models import PositioningBand
from tread_market_intel.positioning.repository import ObservedPrice
from tread_market_intel.positioning.schemas import (
    Band,
    CompetitorPosition,
    PositioningMonth,
    PricePositioning,
)
from tread_market_intel.products import repository as products
from tread_market_intel.settings import Settings
from tread_shared.clock import utcnow
from tread_shared.db.concurrency import flush_changes
from tread_shared.db.reading import InSession, Rows
from tread_shared.errors import Conflict
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.market_intel import PricePositioningChanged
from tread_shared.money import Money
from tread_shared.trusted import trusted

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def month_of(day: date | datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_end(month: str) -> date:
    year, number = int(month[:4]), int(month[5:])
    return date(year, number, calendar.monthrange(year, number)[1])


def band_of(index: Decimal, settings: Settings) -> Band:
    if index < settings.positioning_band_low:
        return "below"
    if index > settings.positioning_band_high:
        return "above"
    return "within"


def _quartiles(values: list[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0], ordered[0], ordered[0]
    q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return q1, median, q3


def _money(amount: Decimal, currency: str) -> Money:
    # Medians, quartiles and list prices of stored prices, each validated when it came in, in
    # their currency, to the cent: valid by construction. Validating the ~100 of an answer
    # again was an eighth of its CPU (py-spy, bench/service_reads.py), model_construct's 5-7 us
    # each still 6 %: set as they are (1 us).
    return trusted(Money, amount=amount.quantize(CENT), currency=currency)


class _ListPrices:
    """The own list prices in force, from the price books read once per request."""

    def __init__(self, book: dict[str, list[products.BookEntry]], today: date) -> None:
        self.book, self.today = book, today
        self.known: dict[tuple[str, str, str], Decimal | None] = {}

    def of(self, product_code: str, territory: str | None, month: str) -> Decimal | None:
        key = (product_code, territory or "*", month)
        if key not in self.known:
            day = min(month_end(month), self.today)
            entry = products.in_force(self.book.get(product_code, []), territory, day)
            self.known[key] = entry.amount if entry is not None else None
        return self.known[key]


async def positioning(
    reads: Rows,
    settings: Settings,
    *,
    product_code: str | None,
    range_: str | None,
    territory: str | None,
    start: date,
    end: date,
    currency: str | None,
) -> PricePositioning:
    observed = await repository.observed_prices(
        reads,
        product_code=product_code,
        range_=range_,
        territory=territory,
        since=datetime.combine(start, time(), UTC),
        until=datetime.combine(end + timedelta(days=1), time(), UTC),
    )
    if currency is None and observed:
        currency = (
            Counter(p.currency for p in observed if not p.outlier).most_common(1)[0][0]
            if any(not p.outlier for p in observed)
            else observed[0].currency
        )
    observed = [p for p in observed if p.currency == currency]
    codes = {p.product_code for p in observed} | ({product_code} if product_code else set())
    book = await products.price_book(reads, sorted(codes), currency or "")
    list_prices = _ListPrices(book, utcnow().date())
    # Each price with its index against its own list price (None: no list price to compare).
    by_month: dict[str, list[tuple[ObservedPrice, Decimal | None]]] = defaultdict(list)
    outliers: Counter[str] = Counter()
    unpriced = 0
    for price in observed:
        month = price.month
        if price.outlier:
            outliers[month] += 1
            continue
        own = list_prices.of(price.product_code, price.territory, month)
        unpriced += own is None
        by_month[month].append((price, price.amount / own * 100 if own else None))
    months: list[PositioningMonth] = []
    previous: Decimal | None = None
    for month in sorted(set(by_month) | set(outliers)):
        entries = by_month.get(month, [])
        if not entries:
            continue
        amounts = [p.amount for p, _own in entries]
        indices = [ratio for _p, ratio in entries if ratio is not None]
        q1, median, q3 = _quartiles(amounts)
        index = statistics.median(indices).quantize(TENTH) if indices else None
        own_list = None
        if product_code is not None:
            own_amount = list_prices.of(product_code, territory, month)
            own_list = _money(own_amount, currency or "") if own_amount is not None else None
        months.append(
            PositioningMonth(
                month=month,
                observations=len(entries),
                outliers_excluded=outliers[month],
                median=_money(median, currency or ""),
                q1=_money(q1, currency or ""),
                q3=_money(q3, currency or ""),
                own_list_price=own_list,
                index=index,
                trend=index - previous if index is not None and previous is not None else None,
                band=band_of(index, settings) if index is not None else None,
            )
        )
        previous = index if index is not None else previous
    return PricePositioning(
        product_code=product_code,
        range=range_,
        territory=territory,
        currency=currency,
        start=start,
        end=end,
        band_low=settings.positioning_band_low,
        band_high=settings.positioning_band_high,
        months=months,
        by_competitor=_by_competitor(by_month, currency or ""),
        unpriced=unpriced,
    )


def _by_competitor(
    by_month: dict[str, list[tuple[ObservedPrice, Decimal | None]]], currency: str
) -> list[CompetitorPosition]:
    prices: dict[str, list[Decimal]] = defaultdict(list)
    indices: dict[str, list[Decimal]] = defaultdict(list)
    for entries in by_month.values():
        for price, ratio in entries:
            name = price.competitor or "unknown"
            prices[name].append(price.amount)
            if ratio is not None:
                indices[name].append(ratio)
    return [
        CompetitorPosition(
            competitor=name,
            observations=len(amounts),
            median=_money(statistics.median(amounts), currency),
            index=statistics.median(indices[name]).quantize(TENTH) if indices[name] else None,
        )
        for name, amounts in sorted(prices.items())
    ]


async def follow_band(
    session: AsyncSession, outbox: Outbox, settings: Settings, observation: Observation
) -> None:
    """After a competitor price: the month's index for its product and territory, against
    the band; announced when it crossed."""
    assert observation.product_code is not None
    month = month_of(observation.observed_at)
    first = date(int(month[:4]), int(month[5:]), 1)
    answer = await positioning(
        InSession(session),  # the observation just recorded counts
        settings,
        product_code=observation.product_code,
        range_=None,
        territory=observation.territory,
        start=first,
        end=month_end(month),
        currency=observation.currency,
    )
    index = answer.months[0].index if answer.months else None
    if index is None:
        return
    band = band_of(index, settings)
    before = await repository.band_before(
        session, observation.product_code, observation.territory, month
    )
    now = utcnow()
    previous_index: Decimal | None
    previous_band: str | None
    if before is not None and before.month == month:
        state = before
        previous_index, previous_band = state.index, state.band
        state.index, state.band, state.changed_at = index, band, now
    else:
        previous_index = before.index if before else None
        previous_band = before.band if before else None
        state = PositioningBand(
            product_code=observation.product_code,
            territory=observation.territory,
            month=month,
            index=index,
            band=band,
            changed_at=now,
        )
        session.add(state)
    crossed = band != (previous_band or "within")
    if crossed:
        state.crossed_at = now
    try:
        await flush_changes(session)
    except IntegrityError as exc:
        # Another price of the same product, territory and month was recorded at the same
        # moment and wrote the month's first state: this one comes a moment later.
        raise Conflict(
            "Someone else recorded a price for this product at the same moment; retry.",
            slug="concurrent-change",
        ) from exc
    if not crossed:
        return
    payload = PricePositioningChanged.model_validate(
        {
            "product_code": observation.product_code,
            "territory": observation.territory,
            "month": month,
            "index": index,
            "previous_index": previous_index,
            "band": band,
            "previous_band": previous_band,
            "band_low": settings.positioning_band_low,
            "band_high": settings.positioning_band_high,
            "observations": answer.months[0].observations,
        }
    )
    subject = f"{observation.product_code}@{observation.territory}"
    await outbox.add(session, payload, subject=subject)
