"""The hand-written SVG: well-formed XML, both series, axes with labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from router.simulate.chart import contacts_chart, line_chart, nice_step

SVG = "{http://www.w3.org/2000/svg}"


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_nice_steps_are_round() -> None:
    assert nice_step(10) == 2
    assert nice_step(23) == 5
    assert nice_step(0.7) == pytest.approx(0.2)
    assert nice_step(400) == 100
    assert nice_step(0) == 1


def test_the_chart_is_valid_svg_with_two_series_and_labelled_axes() -> None:
    svg = line_chart(
        {"without notices": [0, 3, 7, 4], "with <notices>": [0, 1, 2, 1]},
        title="Contacts & notices",
        x_label="simulated day",
        y_label="customer contacts",
        mark=(2.5, "last orders placed"),
    )
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    lines = root.findall(f"{SVG}polyline")
    assert [p.get("data-name") for p in lines] == ["without notices", "with <notices>"]
    assert all(len((p.get("points") or "").split()) == 4 for p in lines)
    words = texts(root)
    assert "simulated day" in words
    assert "customer contacts" in words
    assert "Contacts & notices" in words
    assert {"with <notices>", "without notices", "last orders placed"} <= set(words)
    assert {"0", "1", "2", "3"} <= set(words)  # x ticks
    assert "8" in words  # the y axis reaches a round number above the peak (7)


def test_points_scale_to_the_plot() -> None:
    root = ET.fromstring(line_chart({"a": [0, 10]}, title="t", x_label="x", y_label="y"))
    line = root.find(f"{SVG}polyline")
    assert line is not None
    points = line.get("points") or ""
    (x0, y0), (x1, y1) = (tuple(float(v) for v in p.split(",")) for p in points.split())
    assert x0 < x1
    assert y0 > y1  # SVG y grows downwards: the larger value is higher up


def test_empty_and_flat_series_still_draw() -> None:
    ET.fromstring(line_chart({}, title="t", x_label="x", y_label="y"))
    ET.fromstring(line_chart({"flat": [0, 0, 0]}, title="t", x_label="x", y_label="y"))
    ET.fromstring(line_chart({"one": [3]}, title="t", x_label="x", y_label="y"))


def test_the_contacts_chart_reads_the_report() -> None:
    report = {
        "seed": 7,
        "options": {"days": 3},
        "without_notices": {"contacts_per_day": [1, 4, 2, 0]},
        "with_notices": {"contacts_per_day": [1, 2, 1, 0]},
    }
    root = ET.fromstring(contacts_chart(report))
    names = [p.get("data-name") for p in root.findall(f"{SVG}polyline")]
    assert names == ["without notices", "with notices"]
    assert "WISMO contacts per day (simulation, seed 7)" in texts(root)
