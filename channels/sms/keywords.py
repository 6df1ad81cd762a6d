"""STOP / START / HELP: the carrier-mandated keywords, answered by the channel itself.

A keyword is the whole message (trimmed, any case). Opting out is stored before Twilio gets
its 2xx, and from then on `send` suppresses every message to that number. Keywords are not
customer questions, so they never reach the bus.

YES is an opt-in keyword only for a number that has opted out: for everyone else it is an
answer to our question and goes to the pipeline like any other message. With Twilio's
Advanced Opt-Out, Twilio marks keywords (its own and custom ones) with `OptOutType`.
"""

from __future__ import annotations

from enum import StrEnum

from router.settings import BrandSettings


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"})
OPT_IN = frozenset({"START", "UNSTOP", "OPTIN"})
OPT_IN_WHEN_OPTED_OUT = frozenset({"YES"})
HELP = frozenset({"HELP", "INFO"})
OPT_OUT_TYPES = {"STOP": Keyword.STOP, "START": Keyword.START, "HELP": Keyword.HELP}


def match(body: str, *, opted_out: bool, opt_out_type: str | None = None) -> Keyword | None:
    """The keyword this message is, if it is one."""
    if opt_out_type and opt_out_type.strip().upper() in OPT_OUT_TYPES:
        return OPT_OUT_TYPES[opt_out_type.strip().upper()]
    word = body.strip().upper()
    if word in OPT_OUT:
        return Keyword.STOP
    if word in OPT_IN or (opted_out and word in OPT_IN_WHEN_OPTED_OUT):
        return Keyword.START
    if word in HELP:
        return Keyword.HELP
    return None


def depends_on_opt_out(body: str) -> bool:
    """Whether `match` needs the sender's opt-out state for this message (YES only), so the
    store is asked only then."""
    return body.strip().upper() in OPT_IN_WHEN_OPTED_OUT


def default_help(brand: BrandSettings) -> str:
    contact = f", or e-mail {brand.support_email}" if brand.support_email else ""
    return (
        f"{brand.name}: text us your order number to get its status{contact}. "
        "Reply STOP to unsubscribe."
    )


def confirmation(keyword: Keyword, brand: BrandSettings, help_text: str | None) -> str:
    """What we answer (short, plain GSM-7: one segment for a usual brand name)."""
    if keyword is Keyword.STOP:
        return (
            f"{brand.name}: you are unsubscribed and will get no more messages from us. "
            "Reply START to resubscribe."
        )
    if keyword is Keyword.START:
        return f"{brand.name}: you are subscribed again. Reply HELP for help, STOP to unsubscribe."
    return help_text or default_help(brand)
