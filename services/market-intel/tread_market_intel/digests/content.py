"""What a weekly digest says, as JSON and as e-mail-ready HTML (inline styles, no scripts,
every value escaped)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Any

from tread_market_intel.arguments.models import Argument
from tread_market_intel.observations.models import Observation
from tread_market_intel.positioning.models import PositioningBand

HIGHLIGHTS = 20


def _price(observation: Observation) -> dict[str, str] | None:
    if observation.price_amount is None or observation.currency is None:
        return None
    return {"amount": f"{observation.price_amount:.2f}", "currency": observation.currency}


def digest_content(
    week: str,
    start: date,
    end: date,
    observations: Sequence[Observation],
    bands: Sequence[PositioningBand],
    arguments: Sequence[Argument],
) -> dict[str, Any]:
    latest = sorted(observations, key=lambda o: o.observed_at, reverse=True)[:HIGHLIGHTS]
    return {
        "week": week,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "observations": {
            "total": len(observations),
            "outliers": sum(o.outlier for o in observations),
            "by_kind": dict(sorted(Counter(o.kind for o in observations).items())),
            "by_territory": dict(sorted(Counter(o.territory for o in observations).items())),
            "by_competitor": dict(
                sorted(Counter(o.competitor for o in observations if o.competitor).items())
            ),
        },
        "highlights": [
            {
                "id": str(o.id),
                "kind": o.kind,
                "territory": o.territory,
                "product_code": o.product_code,
                "competitor": o.competitor,
                "observed_price": _price(o),
                "observed_at": o.observed_at.isoformat(),
                "outlier": o.outlier,
                "text": o.text,
            }
            for o in latest
        ],
        "positioning_changes": [
            {
                "product_code": b.product_code,
                "territory": b.territory,
                "month": b.month,
                "index": str(b.index),
                "band": b.band,
            }
            for b in bands
        ],
        "arguments_validated": [
            {"id": str(a.id), "title": a.title, "product_code": a.product_code} for a in arguments
        ],
    }


_CELL = 'style="padding:4px 8px;border-bottom:1px solid #ddd;text-align:left"'


def _row(*cells: object) -> str:
    return "<tr>" + "".join(f"<td {_CELL}>{escape(str(c))}</td>" for c in cells) + "</tr>"


def _table(headers: Sequence[str], rows: list[str]) -> str:
    head = "".join(f"<th {_CELL}>{escape(h)}</th>" for h in headers)
    return (
        '<table style="border-collapse:collapse;font-size:14px">'
        f"<tr>{head}</tr>{''.join(rows)}</table>"
    )


def digest_html(content: dict[str, Any], subscriber: str) -> str:
    counts = content["observations"]
    highlights = [
        _row(
            h["observed_at"][:10],
            h["territory"],
            h["kind"].replace("_", " "),
            h["competitor"] or "",
            h["product_code"] or "",
            f"{h['observed_price']['amount']} {h['observed_price']['currency']}"
            if h["observed_price"]
            else "",
            ("outlier — " if h["outlier"] else "") + (h["text"] or ""),
        )
        for h in content["highlights"]
    ]
    bands = [
        _row(b["product_code"], b["territory"], b["month"], b["index"], b["band"])
        for b in content["positioning_changes"]
    ]
    arguments = "".join(f"<li>{escape(a['title'])}</li>" for a in content["arguments_validated"])
    by_kind = ", ".join(f"{escape(k)}: {n}" for k, n in counts["by_kind"].items()) or "none"
    parts = [
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8">',
        f"<title>Tread market digest {escape(content['week'])}</title></head>",
        '<body style="font-family:Arial,sans-serif;color:#222">',
        f'<h1 style="font-size:20px">Market digest, week {escape(content["week"])}</h1>',
        f"<p>For {escape(subscriber)}: {escape(content['period_start'])} to "
        f"{escape(content['period_end'])}.</p>",
        f"<p><strong>{counts['total']}</strong> observations ({by_kind}); "
        f"{counts['outliers']} flagged as outliers.</p>",
    ]
    if highlights:
        columns = ("Seen", "Territory", "Kind", "Competitor", "Product", "Price", "Note")
        parts += ['<h2 style="font-size:16px">Latest</h2>', _table(columns, highlights)]
    if bands:
        headers = ("Product", "Territory", "Month", "Index", "Band")
        parts += ['<h2 style="font-size:16px">Price positioning moves</h2>', _table(headers, bands)]
    if arguments:
        parts += ['<h2 style="font-size:16px">New selling arguments</h2>', f"<ul>{arguments}</ul>"]
    parts.append("</body></html>")
    return "\n".join(parts)
