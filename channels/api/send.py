"""Replies POSTed to the client's callback URL, signed like the client's own requests.

The body is serialised once and signed as those exact bytes; each attempt is signed afresh,
so a retry after a long Retry-After still falls inside the client's window. The client can
drop a repeat by the Idempotency-Key header (our outbound event id).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp

from channels.api.signature import signed_headers
from channels.outbound import Answer, ProviderApi, RetrySettings
from router.dispatch import SendFailed

PROVIDER = "api"


class Callback:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        secret: bytes,
        retry: RetrySettings,
        clock: Callable[[], datetime],
    ) -> None:
        self._url = url
        self._secret = secret
        self._clock = clock
        self._api = ProviderApi(session, PROVIDER, retry, refused=_refused)

    async def post(self, body: dict[str, Any], idempotency_key: str) -> None:
        """Returns once the client answered 2xx; SendFailed when it refused (other 4xx, a
        redirect) or kept failing (5xx, 429, no answer: retried)."""
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        def headers() -> dict[str, str]:
            return {
                "Content-Type": "application/json",
                "Idempotency-Key": idempotency_key,
                **signed_headers(self._secret, self._clock(), payload),
            }

        await self._api.request("POST", self._url, data=payload, headers=headers)


def _refused(answer: Answer, described: str) -> SendFailed:
    return SendFailed(f"{PROVIDER}: callback answered {described}")
