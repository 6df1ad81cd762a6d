"""GET/POST /unsubscribe/email: where a notice's List-Unsubscribe link and footer lead.

GET is a person clicking the link, or a link scanner fetching every URL of a mail: it only
shows a page with a button and never changes anything. POST unsubscribes: RFC 8058 one-click
from the mail client (form body `List-Unsubscribe=One-Click`, answered with a short JSON 200)
or the page's button (answered with a confirmation page). Both check the link first: 400 when
it is incomplete or its address malformed, 403 when the token is not the one we made for that
address; then nothing changes. Unsubscribing twice changes nothing either.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

import structlog
from aiohttp import web

from channels.email.form import Form, parse_form
from channels.email.headers import normalize_address
from channels.email.threads import NAME
from channels.email.unsubscribe import ONE_CLICK, set_opted_out, verify
from channels.webhook import Rejected, read_body
from router.store import channel_state
from router.store.db import Database

log = structlog.get_logger(__name__)

ONE_CLICK_FIELD, _, ONE_CLICK_VALUE = ONE_CLICK.partition("=")
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the URL carries the token
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}
STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:34rem;"
    "margin:4rem auto;padding:0 1rem;line-height:1.5;color:#111827}"
    "button{font:inherit;padding:.5rem 1.25rem;border-radius:6px;border:1px solid #111827;"
    "background:#111827;color:#fff;cursor:pointer}.quiet{color:#6b7280;font-size:.9rem}"
)


def page(brand: str, title: str, *paragraphs: str, button: str | None = None) -> web.Response:
    """A small self-contained page; `paragraphs` are HTML already escaped by the caller."""
    form = ""
    if button is not None:
        # No action: the form posts to this very URL, query (address and token) included.
        form = f'<form method="post"><button type="submit">{escape(button)}</button></form>'
    body = "".join(f"<p>{p}</p>" for p in paragraphs if p)
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {escape(brand)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}{form}</body></html>"
    )
    return web.Response(text=html, content_type="text/html", headers=HEADERS)


class UnsubscribePage:
    def __init__(
        self,
        *,
        db: Database,
        clock: Callable[[], datetime],
        secret: str,
        brand: str,
        inbound: str | None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.secret = secret
        self.brand = brand
        self.inbound = inbound  # where "subscribe" can be written to, if mail reaches us

    def _address(self, request: web.Request) -> str:
        """The link's address, once its token is checked (before any body is read)."""
        given, token = request.query.get("a"), request.query.get("t")
        if not given or not token:
            raise Rejected(400, "missing_token", "The link is incomplete: it needs a= and t=.")
        address = normalize_address(given)
        if address is None:
            raise Rejected(400, "bad_address", "The link's address is not an e-mail address.")
        if not verify(self.secret, address, token):
            raise Rejected(403, "bad_token", "This unsubscribe link is not valid.")
        return address

    def _again(self) -> str:
        if self.inbound is None:
            return ""
        return f"Changed your mind? Write “subscribe” to {escape(self.inbound)}."

    async def show(self, request: web.Request) -> web.StreamResponse:
        """GET: a page with a button; reads, never writes."""
        address = self._address(request)
        who = f"<strong>{escape(address)}</strong>"
        if (await channel_state.contact(self.db, NAME, address)).opted_out:
            return page(
                self.brand,
                "You are unsubscribed",
                f"{escape(self.brand)} sends no more e-mail to {who}.",
                self._again(),
            )
        return page(
            self.brand,
            "Unsubscribe",
            f"Stop e-mails from {escape(self.brand)} to {who}, parcel updates included?",
            '<span class="quiet">Nothing changes until you press the button.</span>',
            button="Unsubscribe",
        )

    async def confirm(self, request: web.Request) -> web.StreamResponse:
        """POST: one-click (RFC 8058) or the page's button."""
        address = self._address(request)
        body = await read_body(request)
        form = parse_form(request.headers.get("Content-Type"), body) if body.strip() else Form()
        one_click = (form.text(ONE_CLICK_FIELD) or "").strip() == ONE_CLICK_VALUE
        changed = await set_opted_out(self.db, address, True, self.clock())
        log.info("email_unsubscribed", via="one_click" if one_click else "page", changed=changed)
        if one_click:
            return web.json_response({"unsubscribed": True})
        return page(
            self.brand,
            "You are unsubscribed",
            f"{escape(self.brand)} will send no more e-mail to <strong>{escape(address)}</strong>.",
            self._again(),
        )
