"""A static SVG legend for the route map, drawn from maps.legend_rows(). Pure: no Streamlit."""
from __future__ import annotations

import functools
from xml.sax.saxutils import escape

from components import maps


@functools.cache  # the legend is drawn from constants: one string per process
def legend_svg() -> str:
    """Mode colours on the first line, status line styles on the second (labels escaped)."""
    rows = maps.legend_rows()
    groups = [("Mode", [r for r in rows if r["kind"] == "mode"]),
              ("Status", [r for r in rows if r["kind"] in ("status", "year")])]
    parts = []
    width = 0
    for line, (title, items) in enumerate(groups):
        y = 18 + 26 * line
        parts.append(f'<text x="0" y="{y + 4}" font-weight="bold">{title}</text>')
        x = 60
        for item in items:
            colour = item["colour"] if item["kind"] != "status" else "#444444"
            dash = f' stroke-dasharray="{item["dasharray"]}"' if item["dasharray"] else ""
            parts.append(
                f'<line x1="{x}" y1="{y}" x2="{x + 30}" y2="{y}" stroke="{colour}" stroke-width="4" '
                f'stroke-opacity="{item["opacity"]}"{dash}/>'
            )
            label = escape(item["label"])
            parts.append(f'<text x="{x + 36}" y="{y + 4}">{label}</text>')
            x += 46 + 7 * len(item["label"])
        width = max(width, x)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{26 * len(groups) + 8}" '
            'font-family="Arial, Helvetica, sans-serif" font-size="13">')
    return head + "".join(parts) + "</svg>"
