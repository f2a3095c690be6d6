"""The route map's legend as accessible HTML: real text that wraps on a phone, a drawn line per entry. Pure.

Shown with st.html (sanitised, no Markdown); every label is escaped; each swatch is a CSS-drawn line marked
aria-hidden, the text beside it being what a screen reader reads.
"""

from __future__ import annotations

from html import escape


def _swatch(row: dict) -> str:
    """A line drawn with CSS (st.html's sanitiser keeps inline styles): solid, dashed or dotted as on the map."""
    on_off = [int(v) for v in row["dasharray"].split()] if row["dasharray"] else []
    style = "solid" if not on_off else ("dotted" if on_off[0] <= on_off[1] // 2 else "dashed")
    return (
        f'<span aria-hidden="true" style="display:inline-block;width:34px;height:0;vertical-align:middle;'
        f'border-top:{max(2, round(row["width"]))}px {style} {row["colour"]};opacity:{row["opacity"]}">&nbsp;</span>'
    )


def legend_html(rows: list[dict], title: str, groups: dict[str, str]) -> str:
    """A titled legend: one list per group of rows (`groups`: kind -> heading), entries side by side."""
    parts = [f'<section aria-label="{escape(title)}" style="font-size:14px;line-height:1.6;color:#2a3f5f">']
    for kind, heading in groups.items():
        items = [r for r in rows if r["kind"] == kind or (kind == "status" and r["kind"] == "year")]
        if not items:
            continue
        parts.append(
            f"<div><strong>{escape(heading)}</strong></div>"
            '<ul style="list-style:none;margin:0 0 6px 0;padding:0;display:flex;flex-wrap:wrap;gap:2px 18px">'
        )
        parts += [f"<li>{_swatch(r)} {escape(r['label'])}</li>" for r in items]
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)
