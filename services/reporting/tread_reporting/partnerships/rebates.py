"""``rebate.earned`` → the rebates each account earned, shown with its partnership."""

from __future__ import annotations

from tread_reporting.partnerships.models import RebateRecord
from tread_reporting.partnerships.schemas import RebateOut
from tread_reporting.projection.registry import Landing, Projection
from tread_reporting.projection.writes import Writes
from tread_shared.events.payloads.contracts import RebateAmount, RebateEarned

projection = Projection()


@projection.on(RebateEarned)
def rebate_earned(payload: RebateEarned, _at: Landing, writes: Writes) -> None:
    # Settled once per contract: the first event of a contract stays.
    writes.insert_fact(
        RebateRecord,
        {
            "contract_id": payload.contract_id,
            "account_id": payload.account_id,
            "tier": payload.tier,
            "tier_reached": payload.tier_reached,
            "rebate_pct": payload.rebate_pct,
            "period_start": payload.period_start,
            "period_end": payload.period_end,
            "compliance": payload.compliance,
            "sell_in_units": payload.sell_in_units,
            "amounts": [amount.model_dump(mode="json") for amount in payload.amounts],
            "judged_on": payload.judged_on,
        },
    )


def rebate_out(record: RebateRecord) -> RebateOut:
    amounts = [RebateAmount.model_validate(amount) for amount in record.amounts]
    return RebateOut(
        contract_id=record.contract_id,
        period_start=record.period_start,
        period_end=record.period_end,
        tier=record.tier,
        tier_reached=record.tier_reached,
        rebate_pct=record.rebate_pct,
        compliance=record.compliance,
        sell_in_units=record.sell_in_units,
        sell_in_value=[amount.sell_in_value for amount in amounts],
        rebate=[amount.rebate for amount in amounts],
        judged_on=record.judged_on,
    )
