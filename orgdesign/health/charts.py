"""The health page's charts: each one a table of numbers (`Chart`: its columns and rows, shown
as an accessible table and served as CSV) and the geometry of its picture, drawn as SVG by the
template (`templates/health/chart.html`), so every text in it is escaped like any other and
no script is needed. The picture scales to its box (a `viewBox`), readable at 390 px.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from orgdesign.analysis.health import Health
from teams.models import HealthSnapshot, SnapshotKind

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34
# The series' styles, in order (static/css/health.css): distinct in hue and in dash, so a
# reader who cannot tell the hues apart still tells the lines.
STYLES = ("series-a", "series-b", "series-c", "series-d")


@dataclass
class Series:
    name: str
    values: list[float]


@dataclass
class Mark:
    """A promotion or merge on the time axis."""

    index: int
    label: str


@dataclass
class Chart:
    slug: str  # its CSV's name and its element's id
    title: str
    summary: str  # what it shows, for the figure's caption
    axis: str  # the header of the first column (Date, Direct reports, Layer)
    categories: list[str]  # the first column
    series: list[Series]
    kind: str = "line"  # or "bar"
    limit: tuple[float, str] | None = None  # a line across: (value, words)
    marks: list[Mark] = field(default_factory=list)
    # Bars past the limit (a wide span, a layer too deep), by index: drawn apart.
    over: set[int] = field(default_factory=set)
    # The x axis's words, when shorter than the first column's ("Sep 16" for a date): a
    # phone's width leaves room for six of them, not for six full dates.
    axis_labels: list[str] | None = None

    @property
    def columns(self) -> list[str]:
        return [self.axis, *(series.name for series in self.series)]

    @property
    def rows(self) -> list[list]:
        return [[category, *(_number(series.values[i]) for series in self.series)]
                for i, category in enumerate(self.categories)]

    @property
    def empty(self) -> bool:
        return not self.categories

    def picture(self) -> dict:
        """Where everything goes in a WIDTH x HEIGHT box."""
        count = len(self.categories)
        top = max([*(value for series in self.series for value in series.values),
                   self.limit[0] if self.limit else 0, 1])
        top = _nice(top)
        inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

        def y(value: float) -> float:
            return round(TOP + inner_h - value / top * inner_h, 1)

        if self.kind == "bar":
            step = inner_w / max(count, 1)

            def x(i: int) -> float:
                return round(LEFT + step * (i + 0.5), 1)
        else:
            step = inner_w / max(count - 1, 1)

            def x(i: int) -> float:
                return round(LEFT + step * i if count > 1 else LEFT + inner_w / 2, 1)

        ticks = [{"y": y(top * i / 4), "label": _number(top * i / 4)} for i in range(5)]
        shown = _label_indexes(count, 6 if self.kind == "line" else 16)
        words = self.axis_labels or self.categories
        x_labels = [{"x": x(i), "label": words[i]} for i in shown]
        lines, bars = [], []
        styles = [("bar-fill" if self.kind == "bar" else STYLES[n % len(STYLES)])
                  for n in range(len(self.series))]
        for n, series in enumerate(self.series):
            style = styles[n]
            if self.kind == "bar":
                width = max(step * 0.8 / len(self.series), 1)
                for i, value in enumerate(series.values):
                    left = x(i) - step * 0.4 + n * width
                    bars.append({"x": round(left, 1), "y": y(value), "width": round(width, 1),
                                 "height": round(y(0) - y(value), 1),
                                 "style": "over" if i in self.over else style,
                                 "label": f"{self.categories[i]}: {_number(value)}"})
            else:
                points = " ".join(f"{x(i)},{y(value)}" for i, value in enumerate(series.values))
                dots = [{"x": x(i), "y": y(value),
                         "label": f"{self.categories[i]}: {_number(value)} {series.name}"}
                        for i, value in enumerate(series.values)] if count <= 1 else []
                lines.append({"points": points, "style": style, "name": series.name,
                              "dots": dots})
        return {
            "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "top": TOP, "bottom": HEIGHT - BOTTOM, "ticks": ticks, "x_labels": x_labels,
            "lines": lines, "bars": bars,
            "legend": [{"name": series.name, "style": styles[n]}
                       for n, series in enumerate(self.series)],
            "limit": ({"y": y(self.limit[0]), "label": self.limit[1]} if self.limit else None),
            "marks": [{"x": x(mark.index), "label": mark.label} for mark in self.marks],
        }


def _number(value: float):
    """A figure as shown: whole numbers without decimals, others with at most two."""
    if float(value).is_integer():
        return int(value)
    return round(value, 2)


def _nice(top: float) -> float:
    """The axis's top: the figure rounded up to 1, 2, 2.5 or 5 times a power of ten, so the
    four ticks fall on round numbers."""
    magnitude = 1.0
    while magnitude * 10 <= top:
        magnitude *= 10
    while magnitude > top and magnitude > 1e-9:
        magnitude /= 10
    for step in (1, 2, 2.5, 4, 5, 8, 10):
        if step * magnitude >= top:
            return step * magnitude
    return 10 * magnitude


def _label_indexes(count: int, most: int) -> list[int]:
    if count <= most:
        return list(range(count))
    every = -(-count // most)
    return list(range(0, count, every))


def _day(moment: datetime.datetime) -> str:
    return f"{moment:%Y-%m-%d}" if moment.hour == moment.minute == 0 else \
        f"{moment:%Y-%m-%d %H:%M}"


def trend_charts(snapshots: list[HealthSnapshot], *, code: str = "") -> list[Chart]:
    """The charts over time, one point per snapshot, oldest first; promotions and merges
    marked where they fall. With `code`, a chart of that code's findings too."""
    figures = [Health.from_dict(snapshot.figures) for snapshot in snapshots]
    days = [_day(snapshot.at) for snapshot in snapshots]
    marks = [Mark(i, f"{snapshot.get_kind_display()}: {snapshot.note}")
             for i, snapshot in enumerate(snapshots) if snapshot.kind != SnapshotKind.DAILY]

    short = [f"{snapshot.at:%b} {snapshot.at.day}" for snapshot in snapshots]

    def chart(slug, title, summary, series, **options) -> Chart:
        return Chart(slug, title, summary, "Date", days, series, marks=marks,
                     axis_labels=short, **options)

    charts = [
        chart("findings", "Errors and warnings",
              "How many errors and warnings the design had at each snapshot.",
              [Series("Errors", [f.errors for f in figures]),
               Series("Warnings", [f.warnings for f in figures])]),
        chart("ownership", "Outside dependencies and unowned stages",
              "Critical dependencies on teams outside the ML org, and required stages that "
              "no team owns.",
              [Series("Outside dependencies", [f.outside_dependencies for f in figures]),
               Series("Unowned stages", [f.unowned_stages for f in figures])]),
        chart("structure", "Structure shares",
              "The share (%) of scientists and ML engineers whose main team is central, "
              "and embedded in product squads.",
              [Series("Central %", [round(f.central_share * 100, 1) for f in figures]),
               Series("Embedded %", [round(f.embedded_share * 100, 1) for f in figures])]),
        chart("spans-layers", "Spans and layers",
              "The ML org's managers, their widest span of control, and its deepest layer "
              "below the ML head.",
              [Series("Managers", [sum(f.spans.values()) for f in figures]),
               Series("Widest span", [max(map(int, f.spans), default=0) for f in figures]),
               Series("Deepest layer", [max(map(int, f.layers), default=0) for f in figures])]),
    ]
    if code:
        charts.insert(1, chart(
            "code", f"Findings {code}", f"How many findings of {code} the design had.",
            [Series(code, [f.by_code.get(code, 0) for f in figures])]))
    return charts


def today_charts(health: Health, *, span_max: int, layers_max: int) -> list[Chart]:
    """Today's spans and layers: the span of control of each of the ML org's managers
    against the widest allowed, and the people at each layer against the deepest allowed."""
    spans = {int(key): value for key, value in health.spans.items()}
    widest = max([*spans, span_max + 1]) if spans else 0
    layers = {int(key): value for key, value in health.layers.items()}
    deepest = max([*layers, layers_max]) if layers else 0
    return [
        Chart("spans-today", "Span of control today",
              f"How many managers have each number of direct reports; more than {span_max} "
              "is a wide span.", "Direct reports",
              [str(n) for n in range(1, widest + 1)],
              [Series("Managers", [spans.get(n, 0) for n in range(1, widest + 1)])],
              kind="bar", over={n - 1 for n in range(span_max + 1, widest + 1)}),
        Chart("layers-today", "People per layer today",
              f"How many people stand each number of steps below the ML head (0); deeper "
              f"than {layers_max} is too deep.", "Layer",
              [str(n) for n in range(deepest + 1)],
              [Series("People", [layers.get(n, 0) for n in range(deepest + 1)])],
              kind="bar", over=set(range(layers_max + 1, deepest + 1))),
    ]


@dataclass
class Sparkline:
    """A small line of one figure over time (the home page's errors over 90 days)."""

    points: str
    width: int
    height: int
    words: str  # what it shows, for its accessible name


def sparkline(snapshots: list[HealthSnapshot], *, figure: str = "errors",
              width: int = 120, height: int = 28) -> Sparkline | None:
    """None without two snapshots: a line needs two points."""
    values = [snapshot.figures.get(figure, 0) for snapshot in snapshots]
    if len(values) < 2:
        return None
    top = max(max(values), 1)
    step = (width - 4) / (len(values) - 1)
    points = " ".join(
        f"{round(2 + step * i, 1)},{round(height - 2 - value / top * (height - 4), 1)}"
        for i, value in enumerate(values))
    first, last = snapshots[0], snapshots[-1]
    words = (f"{figure.capitalize()} from {values[0]} on {first.at:%Y-%m-%d} to {values[-1]} "
             f"on {last.at:%Y-%m-%d}, highest {max(values)}")
    return Sparkline(points, width, height, words)
