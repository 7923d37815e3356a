"""Content negotiation for reports: JSON, CSV or PDF, by ``Accept`` (or ``?format=``)."""

from __future__ import annotations

from typing import Literal

from tread_shared.errors import Problem

Format = Literal["json", "csv", "pdf"]
MEDIA_TYPES: dict[Format, str] = {
    "json": "application/json",
    "csv": "text/csv",
    "pdf": "application/pdf",
}


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept: str | None, requested: Format | None = None) -> Format:
    """The format to answer in: ``requested`` if given, else the best ``Accept`` allows (JSON
    when it allows all); 406 when it allows none of them."""
    if requested is not None:
        return requested
    if not accept or not accept.strip():
        return "json"
    best: tuple[float, int, Format] | None = None
    for item in accept.split(","):
        media, *parameters = item.split(";")
        media = media.strip().lower()
        quality = _quality(parameters)
        if quality <= 0:
            continue
        for rank, (name, offered) in enumerate(MEDIA_TYPES.items()):
            major = offered.split("/")[0]
            if media in (offered, "*/*", f"{major}/*"):
                # Specific types beat wildcards at the same quality; JSON first among equals.
                specific = 1 if media == offered else 0
                candidate = (quality + specific * 1e-3, -rank, name)
                if best is None or candidate > best:
                    best = candidate
    if best is None:
        raise Problem(
            "Reports are available as application/json, text/csv or application/pdf.",
            status=406,
            slug="not-acceptable",
        )
    return best[2]
