"""channels/webchat/session.py: HMAC-signed visitor sessions."""

from __future__ import annotations

import re

import pytest

from channels.webchat.session import Sessions

SECRET = b"s" * 32


@pytest.fixture
def sessions() -> Sessions:
    return Sessions(SECRET)


def test_new_token_verifies_to_its_session_id(sessions: Sessions) -> None:
    sid, token = sessions.new()
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", sid)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", token)
    assert token.startswith(f"{sid}.")
    assert sessions.verify(token) == sid


def test_a_token_verifies_with_another_instance_of_the_same_secret(sessions: Sessions) -> None:
    sid, token = sessions.new()
    assert Sessions(SECRET).verify(token) == sid


def test_sessions_are_distinct(sessions: Sessions) -> None:
    made = [sessions.new() for _ in range(50)]
    assert len({sid for sid, _ in made}) == 50


def test_token_from_another_secret_is_rejected(sessions: Sessions) -> None:
    _, token = Sessions(b"other secret").new()
    assert sessions.verify(token) is None


def _flip(char: str) -> str:
    return "A" if char != "A" else "B"


def test_tampered_signature_is_rejected(sessions: Sessions) -> None:
    _, token = sessions.new()
    for i in (23, 40, len(token) - 1):
        tampered = token[:i] + _flip(token[i]) + token[i + 1 :]
        assert tampered != token
        assert sessions.verify(tampered) is None


def test_tampered_session_id_is_rejected(sessions: Sessions) -> None:
    _, token = sessions.new()
    tampered = _flip(token[0]) + token[1:]
    assert sessions.verify(tampered) is None


def test_someone_elses_session_id_with_my_signature_is_rejected(sessions: Sessions) -> None:
    _, mine = sessions.new()
    theirs, _ = sessions.new()
    assert sessions.verify(f"{theirs}.{mine.split('.')[1]}") is None


def test_truncated_and_extended_tokens_are_rejected(sessions: Sessions) -> None:
    sid, token = sessions.new()
    assert sessions.verify(token[:-1]) is None
    assert sessions.verify(token[1:]) is None
    assert sessions.verify(token + "A") is None
    assert sessions.verify(sid) is None
    assert sessions.verify(f"{sid}.") is None


def test_token_with_a_trailing_newline_is_rejected(sessions: Sessions) -> None:
    _, token = sessions.new()
    assert sessions.verify(token + "\n") is None


@pytest.mark.parametrize("token", [None, "", ".", "not a token", "a" * 66])
def test_garbage_is_rejected(sessions: Sessions, token: str | None) -> None:
    assert sessions.verify(token) is None
