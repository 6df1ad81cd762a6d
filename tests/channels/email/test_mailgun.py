"""channels/email/mailgun.py: signature (official SDK), our clock's window, replays, parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from channels.email.form import Form
from channels.email.mailgun import ReplayGuard, parse_mailgun, verify
from channels.webhook import Rejected
from tests.channels.email import mails, payloads

# Copied from /work/shared/reference/vectors/mailgun.json (self-generated: no provider vector
# exists; algorithm from documentation.mailgun.com … securing-webhooks; accepted by
# mailgun.security.SecurityGuard.verify_webhook, mailgun 1.10.0). "now" pins the clock.
VECTOR_KEY = "key-test-signing-key"
VECTOR_NOW = datetime.fromtimestamp(1770920832, UTC)
VECTOR_MAX_AGE = 900
VALID = {
    "timestamp": "1770920772",
    "token": "e0b5477167110d68991efc6b9f89f0a11066af27834600e123",
    "signature": "05da75aae5916ef0aa2d4f09360b089f722764250e30fa45d13f5a610525cff1",
}
TAMPERED_TOKEN = {**VALID, "token": "e0b5477167110d68991efc6b9f89f0a11066af27834600e124"}
STALE_TIMESTAMP = {
    "timestamp": "1500000000",
    "token": "e0b5477167110d68991efc6b9f89f0a11066af27834600e123",
    "signature": "cfe5a20161b12bec159a692f5f20ffbf49c5ed467213a64cf307b556ec218468",
}


def form(fields: dict[str, str]) -> Form:
    return Form({k: v.encode() for k, v in fields.items()})


def test_vector_valid() -> None:
    token, until = verify(form(VALID), VECTOR_KEY, VECTOR_NOW, VECTOR_MAX_AGE, ReplayGuard())
    assert token == VALID["token"]
    assert until == 1770920772 + 900


@pytest.mark.parametrize(
    ("fields", "code"),
    [(TAMPERED_TOKEN, "bad_signature"), (STALE_TIMESTAMP, "stale_timestamp")],
    ids=["tampered-token", "stale-timestamp"],
)
def test_vector_rejected(fields: dict[str, str], code: str) -> None:
    with pytest.raises(Rejected) as caught:
        verify(form(fields), VECTOR_KEY, VECTOR_NOW, VECTOR_MAX_AGE, ReplayGuard())
    assert (caught.value.status, caught.value.code) == (403, code)
    assert VECTOR_KEY not in caught.value.message
    assert fields["signature"] not in caught.value.message


def test_window_is_our_clock_not_the_sdks() -> None:
    late = datetime.fromtimestamp(1770920772 + 901, UTC)
    with pytest.raises(Rejected):
        verify(form(VALID), VECTOR_KEY, late, VECTOR_MAX_AGE, ReplayGuard())
    early = datetime.fromtimestamp(1770920772 - 899, UTC)  # a fast provider clock is tolerated
    verify(form(VALID), VECTOR_KEY, early, VECTOR_MAX_AGE, ReplayGuard())


def test_replayed_token_is_rejected_within_the_window() -> None:
    guard = ReplayGuard()
    token, until = verify(form(VALID), VECTOR_KEY, VECTOR_NOW, VECTOR_MAX_AGE, guard)
    guard.remember(token, until)
    with pytest.raises(Rejected) as caught:
        verify(form(VALID), VECTOR_KEY, VECTOR_NOW, VECTOR_MAX_AGE, guard)
    assert caught.value.code == "replayed"


def test_replay_guard_forgets_after_the_window_and_is_bounded() -> None:
    guard = ReplayGuard(max_entries=2)
    guard.remember("a", until=100.0)
    assert guard.seen("a", 99.0)
    assert not guard.seen("a", 101.0)
    for token in ("x", "y", "z"):
        guard.remember(token, until=1000.0)
    assert not guard.seen("x", 0.0)
    assert guard.seen("z", 0.0)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"timestamp": "1770920772", "token": "t"},
        {**VALID, "timestamp": "17709x0772"},
        {**VALID, "timestamp": "9" * 40},
        {**VALID, "signature": "é" * 64},
        {**VALID, "signature": ""},
    ],
)
def test_missing_or_malformed_fields(fields: dict[str, str]) -> None:
    with pytest.raises(Rejected) as caught:
        verify(form(fields), VECTOR_KEY, VECTOR_NOW, VECTOR_MAX_AGE, ReplayGuard())
    assert caught.value.status in (401, 403)


def test_parse_fields() -> None:
    fields = payloads.mailgun(
        VECTOR_KEY,
        "1770920772",
        "tok",
        text="Where is order 1001?\n\n> quoted",
        overrides={"stripped-text": "Where is order 1001?", "In-Reply-To": "<ours@shop.example>"},
    )
    mail = parse_mailgun(form(fields))
    assert mail.provider == "mailgun"
    assert mail.sender == ("Alice Example", "alice@example.com")
    assert mail.message_id == "<CAF=alice.mg.1@mail.example.com>"
    assert mail.in_reply_to == ["<ours@shop.example>"]
    assert mail.stripped_text == "Where is order 1001?"
    assert mail.envelope_sender == "alice@example.com"
    assert mail.recipients == ("support@shop.example",)
    assert not mail.verified_from  # Spf Neutral, DKIM Fail


def test_parse_verified_when_mailgun_passes_and_aligned() -> None:
    fields = payloads.mailgun(VECTOR_KEY, "1", "t")
    headers = json.loads(fields["message-headers"])
    headers = [h for h in headers if not h[0].startswith("X-Mailgun-")]
    headers[:0] = [["X-Mailgun-Spf", "Pass"], ["X-Mailgun-Dkim-Check-Result", "Pass"]]
    fields["message-headers"] = json.dumps(headers)
    assert parse_mailgun(form(fields)).verified_from
    fields["sender"] = "bounces+123@esp.example.net"
    assert not parse_mailgun(form(fields)).verified_from


def test_parse_mime_mode_and_bad_headers_json() -> None:
    mail = parse_mailgun(
        Form({"body-mime": mails.GMAIL_REPLY_ES, "sender": b"ben.carter@example.com"})
    )
    assert mail.message_id == "<CAGmail.es.2@mail.gmail.com>"
    assert mail.subject == "Re: Tu pedido #1002"
    fields = payloads.mailgun(VECTOR_KEY, "1", "t", overrides={"message-headers": "{oops"})
    assert parse_mailgun(form(fields)).sender == ("Alice Example", "alice@example.com")


def test_not_a_route_post() -> None:
    with pytest.raises(Rejected):
        parse_mailgun(form({"token": "x"}))
