"""Unsubscribe links in the mail we send on our own initiative (proactive notices).

A notice is not an answer to something the customer wrote, so it carries RFC 2369
`List-Unsubscribe` (an https link, plus a mailto: to our own address when mail to it reaches
us) and RFC 8058 `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, and a footer line with
the same link. The link is `{public_base_url}/unsubscribe/email?a=<address>&t=<token>`; the
token is an HMAC-SHA256 of the lower-cased address under `unsubscribe_secret` (urlsafe base64,
unpadded), so a link cannot be made for another address, and an old notice's link keeps
working (changing the secret invalidates every link sent).

The stdlib folds a long header by turning it into RFC 2047 encoded words, which no mail client
reads as a link: `UriListHeader` folds only between the URIs, never inside one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import BaseHeader, UniqueUnstructuredHeader
from email.policy import Policy
from typing import ClassVar, Literal

from channels.email.threads import NAME
from router.store import channel_state
from router.store.db import Database

PATH = "/unsubscribe/email"
ONE_CLICK = "List-Unsubscribe=One-Click"
MAILTO_SUBJECT = "unsubscribe"
MAX_LINE = 998  # RFC 5322 §2.1.1: a longer header line may be cut or refused on the way
QUESTION = "Don't want these updates?"
BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def token(secret: str, address: str) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), address.lower().encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(secret: str, address: str, given: str) -> bool:
    """The token is the one we made for this address (constant-time comparison)."""
    expected = token(secret, address).encode("ascii")
    return hmac.compare_digest(expected, given.encode("utf-8", "surrogateescape"))


@dataclass(frozen=True)
class Links:
    url: str  # https, one-click (RFC 8058) and the page a person sees
    mailto: str | None = None

    def header(self) -> str:
        """The List-Unsubscribe value: the https link first (RFC 8058 needs one)."""
        uris = [self.url, *([self.mailto] if self.mailto else [])]
        return ", ".join(f"<{uri}>" for uri in uris)


def links(base_url: str, secret: str, address: str, inbound: str | None = None) -> Links | None:
    """The unsubscribe links for `address`; None for an address so long that the header line
    would pass 998 characters."""
    query = urllib.parse.urlencode({"a": address.lower(), "t": token(secret, address)})
    url = f"{base_url.rstrip('/')}{PATH}?{query}"
    mailto = None
    if inbound:
        mailto = f"mailto:{urllib.parse.quote(inbound, safe='@')}?subject={MAILTO_SUBJECT}"
    if len(f"List-Unsubscribe: <{url}>,") > MAX_LINE or len(f" <{mailto}>") > MAX_LINE:
        return None
    return Links(url, mailto)


def text_footer(text: str, url: str) -> str:
    return f"{text.rstrip()}\n\n{QUESTION} Unsubscribe: {url}\n"


def html_footer(document: str, url: str) -> str:
    """The footer paragraph before `</body>` (or at the end of a fragment)."""
    href = html.escape(url, quote=True)
    block = (
        '<p style="margin-top:24px;font-size:12px;color:#6b7280">'
        f"{html.escape(QUESTION, quote=False)} "
        f'<a href="{href}" style="color:#6b7280">Unsubscribe</a></p>'
    )
    ends = list(BODY_END.finditer(document))
    if not ends:
        return f"{document}\n{block}"
    end = ends[-1].start()
    return f"{document[:end]}{block}\n{document[end:]}"


class UriListHeader(UniqueUnstructuredHeader, BaseHeader):
    """`List-Unsubscribe: <uri>, <uri>` folded only between the URIs (RFC 2369 §2)."""

    max_count: ClassVar[Literal[1]] = 1

    def fold(self, *, policy: Policy) -> str:
        uris = [uri.strip() for uri in str(self).split(", ") if uri.strip()]
        return f"{self.name}: " + f",{policy.linesep} ".join(uris) + policy.linesep


async def set_opted_out(db: Database, address: str, opted_out: bool, now: datetime) -> bool:
    """Store the customer's choice; False when it was already so (then nothing is written,
    not even a new time: a second click or a provider's retry changes nothing)."""
    state = await channel_state.contact(db, NAME, address)
    if state.opted_out == opted_out:
        return False
    await channel_state.set_opted_out(db, NAME, address, opted_out, now)
    return True
