"""The Graph API send client the three Meta channels share.

Errors come as `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`. Most
4xx are final (a blocked user, a closed messaging window: SendFailed with the code and subcode),
but Meta reports throttling as HTTP 400 with a rate-limit code (4, 17, 32, 613, 80007, WhatsApp
130429/131056) and temporary trouble as code 1/2 or `is_transient`: those are retried, like 429
and 5xx. The Graph API takes no idempotency key, so a retry after a lost answer may deliver
twice; that is the provider's limit, not ours.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, ValidationError

from channels.outbound import Answer, ProviderApi, RetrySettings
from router.dispatch import SendFailed

# Throttling: app (4), user (17), page (32), API call (613), WhatsApp account (80007),
# WhatsApp cloud throughput (130429) and per-recipient pair rate (131056).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80007, 130429, 131056})
# "An unknown error occurred" / "Service temporarily unavailable": Meta says retry.
TEMPORARY_CODES = frozenset({1, 2})
MAX_DETAIL_CHARS = 200


class GraphError(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: str = ""
    type: str | None = None
    code: int | None = None
    error_subcode: int | None = None
    fbtrace_id: str | None = None
    is_transient: bool = False


class _ErrorBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    error: GraphError


class GraphSendFailed(SendFailed):
    """The Graph API refused the message for good; its code and subcode say why."""

    def __init__(self, message: str, *, status: int, code: int | None, subcode: int | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.subcode = subcode


def graph_error(answer: Answer) -> GraphError | None:
    try:
        return _ErrorBody.model_validate(answer.json()).error
    except ValidationError:
        return None


def describe(status: int, error: GraphError | None) -> str:
    """What the dead-letter record says, e.g. `HTTP 400, code 10/2018278 (OAuthException: …)`."""
    text = f"HTTP {status}"
    if error is None:
        return text
    if error.code is not None:
        text += f", code {error.code}"
        if error.error_subcode is not None:
            text += f"/{error.error_subcode}"
    detail = ": ".join(part for part in (error.type, error.message[:MAX_DETAIL_CHARS]) if part)
    if detail:
        text += f" ({detail})"
    if error.fbtrace_id:
        text += f", fbtrace_id {error.fbtrace_id[:64]}"
    return text


def is_transient(status: int, error: GraphError | None) -> bool:
    if status == 429 or status >= 500:
        return True
    if error is None:
        return False
    return error.is_transient or error.code in RATE_LIMIT_CODES or error.code in TEMPORARY_CODES


class GraphApi:
    """POSTs to `{graph_base_url}/{api_version}/<path>` with the access token as a Bearer
    header (kept out of URLs and access logs)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        provider: str,
        base_url: str,
        version: str,
        access_token: str,
        retry: RetrySettings,
    ) -> None:
        self.provider = provider
        self.root = f"{base_url.rstrip('/')}/{version}"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self.api = ProviderApi(
            session,
            provider,
            retry,
            describe=lambda answer: describe(answer.status, graph_error(answer)),
            is_transient=lambda answer: is_transient(answer.status, graph_error(answer)),
            refused=self._refused,
        )

    def _refused(self, answer: Answer, described: str) -> SendFailed:
        error = graph_error(answer)
        return GraphSendFailed(
            f"{self.provider}: {described}",
            status=answer.status,
            code=error.code if error else None,
            subcode=error.error_subcode if error else None,
        )

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """The JSON of the 2xx answer (None if it is not JSON); SendFailed otherwise."""
        url = f"{self.root}/{path.lstrip('/')}"
        answer = await self.api.request("POST", url, json_body=body, headers=self._headers)
        return answer.json()
