"""Twilio webhook signatures, checked by the official `twilio.request_validator`.

Twilio signs the exact URL it called (query string included) plus every POST parameter it sent,
so the URL is rebuilt as the public one and validated over all parameters received, unknown ones
included (Twilio adds fields without notice). The SDK tries the URL with and without the port.

Webhooks that carry `X-Twilio-Webhooks-Signature-Settings` are signed with a SharedKey secret
and the algorithm the header names (HMAC-SHA256); without the header, with the Auth Token and
HMAC-SHA1. A request claiming a SharedKey signature when none is configured is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twilio.request_validator import (  # type: ignore[import-untyped]
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

__all__ = ["SIGNATURE_HEADER", "SIGNATURE_SETTINGS_HEADER", "Verifier"]

Params = Mapping[str, Any] | str
"""Form parameters (a MultiDict keeps repeated names), or the raw JSON body when the URL
carries `bodySHA256` (then only the URL is signed and the body must hash to it)."""


class Verifier:
    def __init__(self, auth_token: str, shared_key: str | None = None) -> None:
        self._auth_token = RequestValidator(auth_token)
        self._shared_key = RequestValidator(shared_key) if shared_key else None

    def verify(
        self,
        url: str,
        params: Params,
        signature: str | None,
        signature_settings: str | None = None,
    ) -> bool:
        """True only when `signature` is Twilio's for this URL and these parameters."""
        if not signature:
            return False
        if signature_settings:
            if self._shared_key is None:
                return False
            algorithm = get_signature_algorithm(signature_settings)
            return bool(self._shared_key.validate(url, params, signature, algorithm=algorithm))
        return bool(self._auth_token.validate(url, params, signature))
