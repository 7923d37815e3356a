"""The words of a mail, as plain text and as HTML (escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from tread_inbox.items.models import InboxItem


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def _link(public_url: str, item: InboxItem) -> str:
    return public_url.rstrip("/") + item.resource_url


def item_mail(item: InboxItem, public_url: str) -> Mail:
    link = _link(public_url, item)
    label = "Waiting for your decision" if item.category == "decision" else "For your information"
    text = f"{label}\n\n{item.title}\n{item.reason}.\n\n{link}\n"
    html = (
        f"<p>{escape(label)}</p><p><strong>{escape(item.title)}</strong><br>"
        f'{escape(item.reason)}.</p><p><a href="{escape(link)}">{escape(link)}</a></p>'
    )
    return Mail(subject=f"[Tread] {item.title}"[:400], text=text, html=html)


def digest_mail(day: str, items: Sequence[InboxItem], public_url: str) -> Mail:
    lines = [f"Your Tread inbox of {day}: {len(items)} item(s).", ""]
    rows = []
    for item in items:
        link = _link(public_url, item)
        lines.append(f"- {item.title} ({item.reason}) {link}")
        rows.append(
            f'<li><a href="{escape(link)}">{escape(item.title)}</a> '
            f"<small>{escape(item.reason)}</small></li>"
        )
    html = (
        f"<p>Your Tread inbox of {escape(day)}: {len(items)} item(s).</p><ul>{''.join(rows)}</ul>"
    )
    return Mail(subject=f"[Tread] Your inbox of {day}", text="\n".join(lines) + "\n", html=html)
