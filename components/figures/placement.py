"""Labels beside points, placed so that they overlap neither one another nor the points: a greedy choice in pixels.

Plotly puts every label of a trace the same way (`textposition`) and never moves one out of another's way; close
points then print their labels over each other. Each label here takes the first of Plotly's positions that is free
on a plot of a given size, or none: a label with no free place is left out (its point's hover and the table keep
it), so what is printed can be read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Plotly's textposition names, in the order they are tried: above the point first, as Plotly would put them all
POSITIONS = (
    "top center",
    "bottom center",
    "middle right",
    "middle left",
    "top right",
    "top left",
    "bottom right",
    "bottom left",
)
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in px from the plot's bottom-left corner, y upwards
# how much wider and taller than its size plotly.js draws a symbol (symbol_defs.js; measured in Chromium: a
# diamond of size 11 is 14.3 px across, a triangle 12.7 px wide and at most one size tall); others are as large
SYMBOL_SCALE = {"diamond": (1.3, 1.3), "triangle": (1.155, 1.0)}
DOT_GAP = 3  # px between a dot's edge and its label (`radii`)


@dataclass(frozen=True)
class Plot:
    """A plot area in px and the data ranges it shows. `above`: px a label may stand out over the plot's top
    (a trace drawn with `cliponaxis: False`)."""

    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    above: float = 0.0


def label_positions(
    xs: Sequence[float],
    ys: Sequence[float],
    texts: Sequence[str],
    plot: Plot,
    *,
    symbols: Sequence[str] | None = None,
    marker: float = 11,
    radii: Sequence[float] | None = None,
    char: float = 5.2,
    line: float = 13,
    pad: float = 0,
    gap: float = 2,
    priority: Sequence[float] | None = None,
    limit: int | None = None,
) -> list[str | None]:
    """Each point's textposition, or None where every position would overlap another point or a label placed
    before it, or leave the plot. Without `priority` the point with the fewest free places goes first (most
    labels kept); with it, the lowest first (the most important kept), and at most `limit` labels are placed.

    Sizes in px, by default as Plotly draws them: a marker of `marker` px with a 2 px outline, as wide and tall
    as its symbol (plotly's names: "circle", "diamond-open", …) makes it; text of 10 px is 13 px tall and about
    5.2 px a character (measured in Chromium), `pad` px more each side (a background); a label stands
    `marker / 1.6 + 1` px off its point's centre (plotly.js's textPointPosition). `radii`: each point's own
    radius instead (a dot of a map), its label `radius + DOT_GAP` px off its centre."""
    (x0, x1), (y0, y1) = plot.x_range, plot.y_range
    sx = plot.width / (x1 - x0) if x1 > x0 else 0.0
    sy = plot.height / (y1 - y0) if y1 > y0 else 0.0
    centres = [((x - x0) * sx, (y - y0) * sy) for x, y in zip(xs, ys)]
    if radii is not None:
        halves = [(r, r) for r in radii]
        offsets = [r + DOT_GAP for r in radii]
    else:
        halves = [_half(symbol, marker) for symbol in (symbols or ["circle"] * len(centres))]
        offsets = [marker / 1.6 + 1] * len(centres)
    points = [(cx - w, cy - h, cx + w, cy + h) for (cx, cy), (w, h) in zip(centres, halves)]
    labels: list[Box] = []
    # a point drawn on another (the same value from two sources: centres under `same` px apart) is no obstacle to
    # it, one label may serve both; a point that only partly covers another still is, or its label would cross it
    same = 2.0
    obstacles = [
        [q for (qx, qy), q in zip(centres, points) if abs(qx - px) >= same or abs(qy - py) >= same]
        for px, py in centres
    ]

    def free(i: int) -> list[tuple[str, Box]]:
        size = (len(str(texts[i])) * char + 2 * pad, line)
        boxes = ((position, box_at(position, *centres[i], size, offsets[i])) for position in POSITIONS)
        return [
            (position, box)
            for position, box in boxes
            if _inside(box, plot) and not any(_overlap(box, other, gap) for other in obstacles[i] + labels)
        ]

    named = [i for i in range(len(points)) if texts[i]]
    if priority is None:  # the point with the fewest free places first (before its neighbours take them)
        order = sorted(named, key=lambda i: (len(free(i)), centres[i][0]))
    else:
        order = sorted(named, key=lambda i: priority[i])
    chosen: list[str | None] = [None] * len(points)
    for i in order:
        if limit is not None and len(labels) >= limit:
            break
        if places := free(i):
            chosen[i], box = places[0]
            labels.append(box)
    return chosen


def _half(symbol: str, size: float) -> tuple[float, float]:
    """Half the width and height a marker takes, its 2 px outline included."""
    w, h = SYMBOL_SCALE.get(symbol.split("-")[0], (1.0, 1.0))
    return (size * w / 2 + 1, size * h / 2 + 1)


def box_at(position: str, cx: float, cy: float, size: tuple[float, float], offset: float) -> Box:
    """The box a label of `size` takes at a textposition around a point at (cx, cy), `offset` px off it."""
    (w, h), (vertical, horizontal) = size, position.split()
    left = {"center": cx - w / 2, "right": cx + offset, "left": cx - offset - w}[horizontal]
    bottom = {"top": cy + offset, "middle": cy - h / 2, "bottom": cy - offset - h}[vertical]
    return (left, bottom, left + w, bottom + h)


def _inside(box: Box, plot: Plot) -> bool:
    return box[0] >= 0 and box[2] <= plot.width and box[1] >= 0 and box[3] <= plot.height + plot.above


def _overlap(a: Box, b: Box, gap: float) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap
