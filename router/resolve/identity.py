"""Identity before disclosure: does the sender own this order?

Proof is either the channel-verified sender address (the e-mail a message came from, the phone
an SMS came from) equal to the order's, or the order number plus a second factor the sender
typed: the order's e-mail, its phone number or that number's last four digits, or its shipping
postcode. Anything typed
into a chat box alone is not proof: anyone can type someone else's e-mail address.
"""

from __future__ import annotations

import re

import phonenumbers

from router.events import Entities, IdentityCheck, Party
from router.orders.base import Order


def normalize_email(email: str | None) -> str | None:
    return email.strip().casefold() if email else None


def normalize_phone(phone: str | None, region: str = "US") -> str | None:
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_postcode(postcode: str) -> str:
    """Spaces and case do not matter; a US ZIP+4 compares by its five-digit ZIP."""
    compact = re.sub(r"[\s-]", "", postcode).upper()
    return compact[:5] if re.fullmatch(r"\d{9}", compact) else compact


def verify(
    order: Order, sender: Party, entities: Entities, *, named_by_number: bool
) -> IdentityCheck:
    """`named_by_number`: the sender gave this order's number (a first factor)."""
    order_email = normalize_email(order.email)
    order_phone = normalize_phone(order.phone)
    if order_email and normalize_email(sender.email) == order_email:
        return IdentityCheck(verified=True, method="sender_email")
    if order_phone and normalize_phone(sender.phone) == order_phone:
        return IdentityCheck(verified=True, method="sender_phone")
    if not named_by_number:
        return IdentityCheck(verified=False)
    if order_email and order_email in {normalize_email(e) for e in entities.emails}:
        return IdentityCheck(verified=True, method="order_number+email")
    if order_phone and any(normalize_phone(p) == order_phone for p in entities.phones):
        return IdentityCheck(verified=True, method="order_number+phone")
    if order_phone and order_phone[-4:] in entities.phone_last4:
        return IdentityCheck(verified=True, method="order_number+phone_last4")
    if order.ship_postcode and normalize_postcode(order.ship_postcode) in {
        normalize_postcode(p) for p in entities.postcodes
    }:
        return IdentityCheck(verified=True, method="order_number+postcode")
    return IdentityCheck(verified=False)


def offered_second_factor(entities: Entities) -> bool:
    return bool(entities.emails or entities.phones or entities.postcodes or entities.phone_last4)
