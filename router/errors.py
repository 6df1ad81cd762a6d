"""The error every system of record (shop, carrier) raises instead of answering."""

from __future__ import annotations


class Unavailable(Exception):
    """The system could not answer; the resolver holds and escalates, never invents.

    `retry` says whether asking again soon can help: yes for timeouts, dropped connections,
    throttling and 5xx; no for rejected credentials, other 4xx and payloads the API never
    sends, where a retry only spends the time budget.
    """

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


def transient(status: int) -> bool:
    """An HTTP status worth retrying."""
    return status == 429 or status >= 500
