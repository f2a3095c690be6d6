"""The route map as a PNG image for download: the same routes, colours and dashes as the interactive map,
with its title, legend and source line drawn in. Pure (Pillow, which Streamlit already depends on)."""

from __future__ import annotations

import importlib.util
import io
import math
import textwrap
import threading
from pathlib import Path

import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from components.figures.maps import BORDER, LAND, LAND_FOCUS, WATER, dash_path


def _font_file() -> str | None:
    """The app's own font (Source Sans, shipped inside the streamlit package), found without importing
    streamlit: it has the Azerbaijani, Kazakh and Turkish letters (Pillow's built-in font has not)."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or not spec.origin:
        return None
    found = sorted(Path(spec.origin).parent.glob("static/static/media/SourceSansVF-Upright*.woff2"))
    return str(found[0]) if found else None


FONT_FILE = _font_file()
TITLE_WIDTH = 80  # characters per title line of the image


_FONTS: dict[tuple[int, bool], ImageFont.ImageFont] = {}  # opened once per process (opening one costs ~5 ms)
_FONT_LOCK = threading.Lock()  # a FreeType face is not to be used by two threads at once


def _text(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], line: str, fill: str, size: int, bold: bool = False
) -> None:
    """Draw one line in the app's font at this size and weight. The fonts are opened once per process, not per
    thread: Streamlit runs every script run in a new thread, so a per-thread font was opened on every map PNG."""
    with _FONT_LOCK:
        if (size, bold) not in _FONTS:
            _FONTS[(size, bold)] = _open_font(size, bold)
        draw.text(xy, line, fill=fill, font=_FONTS[(size, bold)])


def _open_font(size: int, bold: bool) -> ImageFont.ImageFont:
    if FONT_FILE:
        try:
            font = ImageFont.truetype(FONT_FILE, size)
            font.set_variation_by_axes([650 if bold else 420])  # the variable font's weight axis
            return font
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def map_image(
    basemap: dict,
    paths: pd.DataFrame,
    legend: list[dict],
    source: str,
    title_lines: int = 1,
    width: int = 1600,
    height: int = 1000,
) -> Image.Image:
    """The map image without its title (a white band of `title_lines` lines on top): the part of the PNG that
    does not change with the year in the title, so it can be drawn once and titled per year (`titled_png`)."""
    legend_h = 40 + 30 * math.ceil(len(legend) / 3)
    source_lines = textwrap.wrap(source, 150)
    top, bottom = 20 + 40 * title_lines, legend_h + 24 * len(source_lines) + 20
    map_h = height - top - bottom
    coords = [p for path in paths["path"] for p in path] or [[40, 35], [85, 55]]
    lon0, lon1 = min(c[0] for c in coords) - 2, max(c[0] for c in coords) + 2
    lat0, lat1 = min(c[1] for c in coords) - 2, max(c[1] for c in coords) + 2
    kx = math.cos(math.radians((lat0 + lat1) / 2))
    scale = min(width / ((lon1 - lon0) * kx), map_h / (lat1 - lat0))
    ox = (width - (lon1 - lon0) * kx * scale) / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return ox + (lon - lon0) * kx * scale, top + (lat1 - lat) * scale

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, top, width, top + map_h], fill=WATER)
    for feature in basemap.get("features", []):
        geometry = feature.get("geometry") or {}
        polygons = geometry.get("coordinates", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        fill = LAND_FOCUS if feature.get("properties", {}).get("iso2") in ("AZ", "KZ") else LAND
        for polygon in polygons:
            if not polygon or len(polygon[0]) <= 2:
                continue
            ring = polygon[0]
            ring_lons = [p[0] for p in ring]
            ring_lats = [p[1] for p in ring]
            if max(ring_lons) < lon0 or min(ring_lons) > lon1 or max(ring_lats) < lat0 or min(ring_lats) > lat1:
                continue  # outside the picture: not drawn (most of the world)
            draw.polygon([xy(*p[:2]) for p in ring], fill=fill, outline=BORDER)
    draw.rectangle([0, 0, width, top], fill="white")
    draw.rectangle([0, top + map_h, width, height], fill="white")
    for row in paths.to_dict("records"):
        colour = tuple(row["colour"][:3])
        width_px = max(2, int(row["width"] * 1.6))
        pieces = dash_path(row["path"], *row["dash"]) if row.get("dash") else [row["path"]]
        for piece in pieces:
            draw.line([xy(*p) for p in piece], fill=colour, width=width_px, joint="curve")
    y = top + map_h + 16
    for i, item in enumerate(legend):
        x = 24 + (i % 3) * (width // 3)
        yy = y + (i // 3) * 30
        colour = item["colour"]
        if item["dasharray"]:
            on, off = (int(v) for v in item["dasharray"].split()[:2])
            pos = 0
            while pos < 40:
                draw.line([(x + pos, yy + 10), (x + min(40, pos + on), yy + 10)], fill=colour, width=4)
                pos += on + off
        else:
            draw.line([(x, yy + 10), (x + 40, yy + 10)], fill=colour, width=4)
        _text(draw, (x + 50, yy), item["label"], "#2a3f5f", 20)
    y = height - 20 - 24 * len(source_lines)
    for line in source_lines:
        _text(draw, (24, y), line, "#4d5b6b", 18)
        y += 24
    # A palette of 128 colours (the map has a dozen, plus the text's anti-aliasing): one byte a pixel, so the PNG
    # encodes in ~5 ms instead of ~35 ms, and is ~40% smaller.
    return image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE)


PALETTE_COLOURS = 128


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # ~10x faster than the default, ~1.5x larger
    return buffer.getvalue()


def titled_png(image: Image.Image | bytes, title: str) -> bytes:
    """`image` (map_image's, or its PNG bytes: ~70 KB to keep instead of 1.6 MB; never changed) with `title` in its
    top band, as PNG bytes. The title is drawn anti-aliased on a white strip, mapped to the image's palette and
    pasted in."""
    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image))
        image.load()
    lines = textwrap.wrap(title, TITLE_WIDTH)
    strip = Image.new("RGB", (image.width, 20 + 40 * len(lines)), "white")
    draw = ImageDraw.Draw(strip)
    for i, line in enumerate(lines):
        _text(draw, (24, 16 + 40 * i), line, "#2a3f5f", 30, bold=True)
    titled = image.copy()
    titled.paste(strip.quantize(palette=image, dither=Image.Dither.NONE), (0, 0))
    return png_bytes(titled)
