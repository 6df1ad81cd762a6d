"""Errors an order source raises instead of answering."""

from __future__ import annotations

from router.errors import Unavailable


class SourceError(Unavailable):
    """The shop could not answer; the resolver holds and escalates, never invents.

    Raised for transport failures, timeouts, rejected credentials, throttling, API errors and
    payloads that are not what the shop's API sends. "No such order" is not an error: sources
    return None (or []) for that, so the two are never confused.
    """
