"""The `wismo` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from router.classify.labels import LabelRow
from router.cli import _moment, _roles, main, parser
from router.events import Action, Decision, IdentityCheck, InboundMessage, Party
from router.orders.demo import ORDERS
from router.store import repo
from router.store.db import Database

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_roles_accepts_a_subset_and_rejects_others() -> None:
    assert _roles("ingest, dispatch") == ["ingest", "dispatch"]
    assert _roles("desk,notify") == ["desk", "notify"]
    with pytest.raises(
        argparse.ArgumentTypeError, match="subset of ingest,pipeline,dispatch,desk,notify"
    ):
        _roles("ingest,slack")
    with pytest.raises(argparse.ArgumentTypeError):
        _roles(" , ")


def test_serve_options_parse() -> None:
    args = parser().parse_args(
        ["serve", "--host", "0.0.0.0", "--port", "9000", "--demo", "--roles", "pipeline"]
    )
    assert (args.host, args.port, args.demo, args.roles) == ("0.0.0.0", 9000, True, ["pipeline"])


def test_schema_check_passes_on_the_checked_in_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--check"]) == 0
    assert capsys.readouterr().out == ""


def test_demo_orders_lists_every_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo-orders"]) == 0
    out = capsys.readouterr().out
    for order in ORDERS:
        assert f"#{order.number}" in out
    assert "alice@example.com" in out
    assert "split into two shipments, two carriers" in out


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fly"])
    assert exc.value.code == 2


async def _record_turns(url: str, turns: list[tuple[str, float]]) -> None:
    """What the pipeline stores for each customer message and its decision."""
    db = Database(url)
    await db.migrate()
    for n, (text, confidence) in enumerate(turns):
        at = T0 + timedelta(minutes=n)
        sure = confidence > 0.6
        message = InboundMessage(
            event_id=f"sms:{n}",
            occurred_at=at,
            channel="sms",
            provider="twilio",
            provider_message_id=f"SM{n}",
            conversation_key="sms:+14155550134",
            sender=Party(id="+14155550134"),
            text=text,
            received_at=at,
        )
        made = Decision(
            event_id=Decision.make_id(message.event_id),
            occurred_at=at,
            inbound_id=message.event_id,
            conversation_key=message.conversation_key,
            channel="sms",
            provider="twilio",
            intent="wismo.status" if sure else "other",
            wismo=sure,
            confidence=confidence,
            language="en",
            action=Action.ANSWER if sure else Action.ASK,
            rule="answer.status" if sure else "ask.clarify",
            identity=IdentityCheck(verified=True),
            reply_text="…",
            classifier="intent-linear@test",
        )
        await repo.record_inbound(db, message, at)
        await repo.record_decision(db, "pipeline", made, at)
    await db.close()


def test_export_decisions_writes_rows_to_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/wismo.db"
    asyncio.run(_record_turns(url, [("where is 1001", 0.97), ("order", 0.52), ("ya", 0.7)]))
    monkeypatch.setenv("WISMO_DATABASE__URL", url)
    assert main(["export-decisions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [LabelRow.model_validate_json(line) for line in lines]
    assert [r.text for r in rows] == ["order", "ya", "where is 1001"]  # least sure first
    assert json.loads(lines[0])["wismo"] is None  # for a person to fill in
    assert rows[0].predicted is not None
    assert (rows[0].predicted.rule, rows[0].channel) == ("ask.clarify", "sms")
    assert main(["export-decisions", "--oldest-first", "--limit", "2"]) == 0
    oldest = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()]
    assert oldest == ["where is 1001", "order"]
    assert main(["export-decisions", "--since", "2026-03-04T12:01:00"]) == 0
    since = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()]
    assert since == ["order", "ya"]


def test_export_decisions_without_the_tables_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WISMO_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    assert main(["export-decisions"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cannot read decisions from the database: no such table: decisions" in captured.err


def test_moment_reads_iso_8601_and_takes_utc_when_no_zone_is_given() -> None:
    assert _moment("2026-03-04T12:01:00") == datetime(2026, 3, 4, 12, 1, tzinfo=UTC)
    assert _moment("2026-03-04T13:01:00+01:00") == datetime(2026, 3, 4, 12, 1, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError, match="not an ISO 8601 time: 'yesterday'"):
        _moment("yesterday")


def test_train_own_refuses_a_missing_file_or_a_wrong_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    public = ["--public", str(tmp_path), "--out", str(tmp_path / "model" / "intent.npz")]
    assert main(["train", *public, "--own", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file:" in capsys.readouterr().err
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"text": "where is it", "wismo": true, "intent": "refund"}\n')
    assert main(["train", *public, "--own", str(labels)]) == 2
    assert "labels.jsonl:1: " in capsys.readouterr().err
    assert not (tmp_path / "model").exists()  # nothing trained, nothing written
    assert main(["train", "--public", str(tmp_path), "--own", str(labels)]) == 2
    assert "--own trains your own model: say where with --out" in capsys.readouterr().err
