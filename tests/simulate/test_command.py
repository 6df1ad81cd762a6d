"""`wismo simulate`: options, the JSON report on stdout, the chart on disk."""

from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from router import cli


def test_the_options_parse_with_their_defaults() -> None:
    args = cli.parser().parse_args(["simulate"])
    assert (args.days, args.orders_per_day, args.seed) == (14, 30, 7)
    assert (args.warmup_days, args.tail_days, args.step_minutes) == (90, 10, 30)
    assert args.chart == "docs/simulation.svg"
    assert args.json is False
    args = cli.parser().parse_args(
        ["simulate", "--days", "3", "--orders-per-day", "4", "--seed", "9", "--json"]
    )
    assert (args.days, args.orders_per_day, args.seed, args.json) == (3, 4, 9, True)


def test_counts_must_be_whole_and_large_enough() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="at least 1"):
        cli._count(1)("0")
    with pytest.raises(argparse.ArgumentTypeError, match="whole number"):
        cli._count(1)("two")
    assert cli._count(0)("0") == 0


def test_only_svg_charts_are_written(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["simulate", "--chart", "out.png"]) == 2
    assert "SVG" in capsys.readouterr().err


@pytest.mark.timeout(300)
def test_a_tiny_simulation_prints_json_and_writes_the_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "configure", lambda *a, **k: None)  # leave the tests' logging be
    chart = tmp_path / "charts" / "sim.svg"
    argv = ["simulate", "--days", "1", "--orders-per-day", "3", "--seed", "2"]
    argv += ["--warmup-days", "10", "--tail-days", "4", "--json", "--chart", str(chart)]
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    report = json.loads(out[out.index('{\n  "seed"') :])  # after any unconfigured log lines
    assert report["seed"] == 2
    assert report["world"]["orders"] == 3
    assert "timing" in report
    assert "[notices on] day 5/5" in err
    root = ET.parse(chart).getroot()
    assert len(root.findall("{http://www.w3.org/2000/svg}polyline")) == 2
