"""The HTTP edge every tracking client shares: one budgeted request, failures as TrackingError.

EasyPost, AfterShip and Shippo differ in paths, auth headers and payloads, not in what a failure
means: a timeout, a dropped connection, 429 and 5xx may pass (retry); a rejected key, other 4xx
and a body that is not JSON will not.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp
from yarl import URL

from router.tracking.base import TrackingError


class TrackingApi:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        provider: str,
        headers: Mapping[str, str],
        timeout_s: float,
        credential: str = "API key",
    ) -> None:
        self.provider = provider
        self._session = session
        self._headers = {**headers, "Accept": "application/json"}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._timeout_s = timeout_s
        self._credential = credential

    async def request(
        self,
        method: str,
        url: URL,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> tuple[int, bytes]:
        """Status and raw body of an answer; TrackingError when there is no usable answer."""
        name = self.provider
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                json=body,
                headers=self._headers,
                timeout=self._timeout,
            ) as response:
                status = response.status
                raw = await response.read()
                retry_after = response.headers.get("Retry-After")
        except TimeoutError:
            raise TrackingError(f"{name} did not answer within {self._timeout_s:g} s") from None
        except aiohttp.ClientError as exc:
            raise TrackingError(f"{name} request failed: {type(exc).__name__}") from exc
        if status == 429:
            raise TrackingError(f"{name} rate limit (HTTP 429, Retry-After: {retry_after})")
        if status >= 500:
            raise TrackingError(f"{name} server error (HTTP {status})")
        if status in (401, 403):
            raise TrackingError(
                f"{name} rejected the {self._credential} (HTTP {status})", retry=False
            )
        return status, raw

    def payload(self, status: int, raw: bytes, error_detail: str = "") -> Any:
        """The JSON of a 2xx answer; any other status or a body that is not JSON: TrackingError.
        `error_detail` names the provider's own error code, if it sent one."""
        if not 200 <= status < 300:
            raise TrackingError(
                f"{self.provider} answered HTTP {status}{error_detail}", retry=False
            )
        try:
            return json.loads(raw)
        except ValueError:
            raise TrackingError(
                f"{self.provider} sent malformed JSON (HTTP {status})", retry=False
            ) from None
