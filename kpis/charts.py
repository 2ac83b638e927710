"""Charts as server-side SVG (issue 14 §2): no script, no outside resource, nothing the
page's Content-Security-Policy has to allow. Pure: figures in, markup out; every text is
escaped here. Each bar is a link to the records behind it, with its figure as a tooltip.

The SVG scales to its box (``viewBox``, width 100 %), so a chart reads on a 390-px phone;
long group labels are turned 45° rather than cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 44, 16, 72
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing counted, no bar
    text: str  # the figure as printed
    href: str | None = None


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(title: str, css: str) -> list[str]:
    return [
        f'<svg class="kpi-chart {css}" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{_attr(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]


def _axis(ticks: Sequence[tuple[float, str]], *, right: bool = False) -> list[str]:
    """Grid lines at ``ticks`` (fractions of the plot's height, with their labels)."""
    parts = []
    for fraction, label in ticks:
        y = TOP + PLOT_H * (1 - fraction)
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{_num(y)}" y2="{_num(y)}" '
            'class="kpi-grid" stroke="#dee2e6" stroke-width="1"/>'
        )
        x, anchor = (LEFT + PLOT_W + 4, "start") if right else (LEFT - 4, "end")
        parts.append(
            f'<text x="{x}" y="{_num(y + 4)}" text-anchor="{anchor}" font-size="12" '
            f'fill="#6c757d">{escape(label)}</text>'
        )
    return parts


def _bars(bars: Sequence[Bar], maximum: float, fill: str) -> list[str]:
    parts = []
    slot = PLOT_W / max(len(bars), 1)
    width = min(slot * 0.7, 48)
    for i, bar in enumerate(bars):
        x = LEFT + slot * i + (slot - width) / 2
        centre = LEFT + slot * (i + 0.5)
        label_y = TOP + PLOT_H + 14
        parts.append(
            f'<text x="{_num(centre)}" y="{label_y}" font-size="12" text-anchor="end" '
            f'transform="rotate(-45 {_num(centre)} {label_y})">{escape(bar.label)}</text>'
        )
        if bar.value is None:
            continue
        height = PLOT_H * (bar.value / maximum if maximum else 0)
        y = TOP + PLOT_H - height
        rect = (
            f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(width)}" '
            f'height="{_num(max(height, 1))}" fill="{fill}" class="kpi-bar">'
            f"<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>"
        )
        value = (
            f'<text x="{_num(centre)}" y="{_num(y - 3)}" font-size="11" '
            f'text-anchor="middle">{escape(bar.text)}</text>'
        )
        if bar.href:
            parts.append(
                f'<a href="{_attr(bar.href)}" aria-label="{_attr(bar.label)}: '
                f'{_attr(bar.text)}">{rect}{value}</a>'
            )
        else:
            parts.append(rect + value)
    return parts


def bar_chart(bars: Sequence[Bar], *, title: str, maximum: float = 1.0,
              ticks: Sequence[tuple[float, str]] = ((0, "0 %"), (0.5, "50 %"), (1, "100 %")),
              fill: str = "#0d6efd") -> str:  # fmt: skip
    """Bars from 0 to ``maximum`` (a rate: 0 … 1 by default), one per group, in order."""
    parts = _open(title, "kpi-bars")
    parts += _axis(ticks)
    parts += _bars(bars, maximum, fill)
    parts.append("</svg>")
    return "".join(parts)


def pareto_chart(bars: Sequence[Bar], cumulative: Sequence[float], *, title: str) -> str:
    """A Pareto chart: counts most frequent first (``bars``, their ``value`` a count) and
    the running share of the total as a line over them (``cumulative``, 0 … 1, one per bar;
    its axis on the right)."""
    top = max((bar.value or 0 for bar in bars), default=0) or 1
    parts = _open(title, "kpi-pareto")
    parts += _axis([(0, "0"), (0.5, _num(top / 2)), (1, _num(top))])
    parts += _axis([(0.8, "80 %"), (1, "100 %")], right=True)
    parts += _bars(bars, top, "#6f42c1")
    slot = PLOT_W / max(len(bars), 1)
    points = " ".join(
        f"{_num(LEFT + slot * (i + 0.5))},{_num(TOP + PLOT_H * (1 - share))}"
        for i, share in enumerate(cumulative)
    )
    if points:
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="#fd7e14" stroke-width="2" '
            'class="kpi-cumulative"/>'
        )
        for point in points.split():
            x, y = point.split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="#fd7e14"/>')
    parts.append("</svg>")
    return "".join(parts)
