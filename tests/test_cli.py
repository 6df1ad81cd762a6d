"""The `wismo` command line."""

from __future__ import annotations

import argparse

import pytest

from router.cli import _roles, main, parser
from router.orders.demo import ORDERS


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
