"""A line chart as SVG, written by hand: no plotting library for one small, stable picture.

The output is plain SVG 1.1 text (deterministic for the same data), readable in any browser
and rendered by GitHub in the README.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

COLORS = ("#d1495b", "#00798c", "#edae49", "#30638e")
FONT = "font-family='Helvetica, Arial, sans-serif'"


def nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) cutting `span` into about `ticks` parts."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def line_chart(
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 720,
    height: int = 360,
    mark: tuple[float, str] | None = None,
) -> str:
    """One polyline per series over x = 0, 1, 2, … with axes, ticks, labels and a legend;
    `mark` draws a labelled dashed vertical line at that x (where something changed)."""
    left, right, top, bottom = 64, 24, 56, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max((len(v) for v in series.values()), default=0)
    peak = max((max(v) for v in series.values() if v), default=0.0)
    step = nice_step(peak or 1.0)
    y_max = step * max(1, math.ceil((peak or 1.0) / step))

    def x_at(i: float) -> float:
        return left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y_at(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    out = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label={quoteattr(title)}>",
        f"<title>{escape(title)}</title>",
        f"<rect x='0' y='0' width='{width}' height='{height}' fill='#ffffff'/>",
        f"<text x='{width / 2:.1f}' y='24' text-anchor='middle' font-size='16' {FONT} "
        f"font-weight='bold' fill='#222222'>{escape(title)}</text>",
    ]
    # Horizontal grid and y ticks.
    value = 0.0
    while value <= y_max + 1e-9:
        y = y_at(value)
        out.append(
            f"<line x1='{left}' y1='{y:.1f}' x2='{left + plot_w}' y2='{y:.1f}' "
            "stroke='#e5e5e5' stroke-width='1'/>"
        )
        out.append(
            f"<text x='{left - 8}' y='{y + 4:.1f}' text-anchor='end' font-size='11' {FONT} "
            f"fill='#555555'>{_num(value)}</text>"
        )
        value += step
    # X ticks: about a dozen labels at most.
    every = max(1, math.ceil(count / 12))
    for i in range(0, count, every):
        x = x_at(i)
        out.append(
            f"<line x1='{x:.1f}' y1='{top + plot_h}' x2='{x:.1f}' y2='{top + plot_h + 5}' "
            "stroke='#555555' stroke-width='1'/>"
        )
        out.append(
            f"<text x='{x:.1f}' y='{top + plot_h + 18}' text-anchor='middle' font-size='11' "
            f"{FONT} fill='#555555'>{i}</text>"
        )
    # Axes and their labels.
    out.append(
        f"<line x1='{left}' y1='{top}' x2='{left}' y2='{top + plot_h}' stroke='#555555' "
        "stroke-width='1'/>"
    )
    out.append(
        f"<line x1='{left}' y1='{top + plot_h}' x2='{left + plot_w}' y2='{top + plot_h}' "
        "stroke='#555555' stroke-width='1'/>"
    )
    out.append(
        f"<text x='{left + plot_w / 2:.1f}' y='{height - 14}' text-anchor='middle' "
        f"font-size='12' {FONT} fill='#222222'>{escape(x_label)}</text>"
    )
    middle = top + plot_h / 2
    out.append(
        f"<text x='18' y='{middle:.1f}' text-anchor='middle' font-size='12' {FONT} "
        f"fill='#222222' transform='rotate(-90 18 {middle:.1f})'>{escape(y_label)}</text>"
    )
    if mark is not None and count > 1:
        x = x_at(mark[0])
        out.append(
            f"<line x1='{x:.1f}' y1='{top}' x2='{x:.1f}' y2='{top + plot_h}' stroke='#888888' "
            "stroke-width='1' stroke-dasharray='4 4'/>"
        )
        out.append(
            f"<text x='{x + 4:.1f}' y='{top + 12}' font-size='11' {FONT} "
            f"fill='#555555'>{escape(mark[1])}</text>"
        )
    # The series, then the legend.
    for index, (name, values) in enumerate(series.items()):
        color = COLORS[index % len(COLORS)]
        points = " ".join(f"{x_at(i):.1f},{y_at(v):.1f}" for i, v in enumerate(values))
        out.append(
            f"<polyline class='series' data-name={quoteattr(name)} points='{points}' "
            f"fill='none' stroke='{color}' stroke-width='2.5' stroke-linejoin='round'/>"
        )
        for i, v in enumerate(values):
            out.append(f"<circle cx='{x_at(i):.1f}' cy='{y_at(v):.1f}' r='2.5' fill='{color}'/>")
        legend_y = top - 18  # one row between the title and the plot
        legend_x = left + 8 + 180 * index
        out.append(
            f"<line x1='{legend_x}' y1='{legend_y}' x2='{legend_x + 24}' y2='{legend_y}' "
            f"stroke='{color}' stroke-width='2.5'/>"
        )
        out.append(
            f"<text x='{legend_x + 30}' y='{legend_y + 4}' font-size='12' {FONT} "
            f"fill='#222222'>{escape(name)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def contacts_chart(report: Mapping[str, object]) -> str:
    """Customer contacts per simulated day, with and without proactive notices."""
    off = report["without_notices"]
    on = report["with_notices"]
    assert isinstance(off, Mapping)
    assert isinstance(on, Mapping)
    seed = report["seed"]
    options = report["options"]
    assert isinstance(options, Mapping)
    return line_chart(
        {
            "without notices": list(off["contacts_per_day"]),
            "with notices": list(on["contacts_per_day"]),
        },
        title=f"WISMO contacts per day (simulation, seed {seed})",
        x_label="simulated day",
        y_label="customer contacts",
        mark=(float(options["days"]) - 0.5, "last orders placed"),
    )
