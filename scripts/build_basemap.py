"""Build the offline basemap ``data/geo/countries.geojson`` from Natural Earth.

Source: the npm package ``world-atlas`` (Natural Earth 1:50m admin-0 countries,
v4.1.0, as TopoJSON).  The script decodes the TopoJSON itself (delta-decoded,
quantised arcs), simplifies each shared arc once (so neighbouring borders stay
identical), clips every polygon to a padded box around the Caspian region,
rounds coordinates to 3 decimals and keeps only ``name`` and ``iso2``.

Usage (from the repository root)::

    python scripts/build_basemap.py                       # runs `npm pack world-atlas@2.0.2`
    python scripts/build_basemap.py path/to/countries-50m.json   # or a world-atlas .tgz

No Python dependencies beyond the standard library.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from itertools import pairwise
from pathlib import Path

PACKAGE = "world-atlas@2.0.2"
MEMBER = "package/countries-50m.json"
# sha256 of package/countries-50m.json in world-atlas 2.0.2 (checked when building).
SHA256 = "04342cdc1e3016bcd7db1630de95684d67b79fe3c8c460321e87aef469502394"

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo" / "countries.geojson"

# Box (lon0, lat0, lon1, lat1) every polygon is clipped to: the region of interest (Caucasus,
# Caspian, Central Asia, Turkey, Black Sea: lon 20..95, lat 28..60) padded so the map has land
# to its edges at the initial zoom, without shipping whole continents.
CLIP = (8.0, 20.0, 112.0, 66.0)
TOLERANCE = 0.01  # Douglas-Peucker tolerance in degrees (~1 km), per arc
DECIMALS = 3

# ISO 3166-1 numeric (world-atlas feature id) -> alpha-2, for countries near the region.
ISO2 = {
    "004": "AF",
    "008": "AL",
    "012": "DZ",
    "031": "AZ",
    "040": "AT",
    "048": "BH",
    "050": "BD",
    "051": "AM",
    "056": "BE",
    "064": "BT",
    "070": "BA",
    "100": "BG",
    "104": "MM",
    "112": "BY",
    "148": "TD",
    "156": "CN",
    "191": "HR",
    "196": "CY",
    "203": "CZ",
    "208": "DK",
    "231": "ET",
    "232": "ER",
    "233": "EE",
    "246": "FI",
    "248": "AX",
    "250": "FR",
    "262": "DJ",
    "268": "GE",
    "275": "PS",
    "276": "DE",
    "300": "GR",
    "344": "HK",
    "348": "HU",
    "356": "IN",
    "364": "IR",
    "368": "IQ",
    "376": "IL",
    "380": "IT",
    "398": "KZ",
    "400": "JO",
    "408": "KP",
    "410": "KR",
    "414": "KW",
    "417": "KG",
    "418": "LA",
    "422": "LB",
    "428": "LV",
    "434": "LY",
    "438": "LI",
    "440": "LT",
    "442": "LU",
    "446": "MO",
    "470": "MT",
    "492": "MC",
    "496": "MN",
    "498": "MD",
    "499": "ME",
    "512": "OM",
    "524": "NP",
    "528": "NL",
    "562": "NE",
    "578": "NO",
    "586": "PK",
    "616": "PL",
    "634": "QA",
    "642": "RO",
    "643": "RU",
    "674": "SM",
    "682": "SA",
    "688": "RS",
    "703": "SK",
    "704": "VN",
    "705": "SI",
    "729": "SD",
    "752": "SE",
    "756": "CH",
    "760": "SY",
    "762": "TJ",
    "764": "TH",
    "784": "AE",
    "788": "TN",
    "792": "TR",
    "795": "TM",
    "804": "UA",
    "807": "MK",
    "818": "EG",
    "860": "UZ",
    "887": "YE",
    "336": "VA",
}
ISO2_BY_NAME = {"Kosovo": "XK"}  # features without a numeric id

# Natural Earth admin-0 draws de facto control; move these polygons to the country the UN
# recognises (General Assembly resolution 68/262 for Crimea). Skip with --de-facto.
# (from country, a point inside the polygon, to country)
DE_JURE = [("Russia", (34.1, 45.0), "Ukraine")]


def load_topology(source: str | None) -> dict:
    """Read countries-50m.json from a path (.json or world-atlas .tgz) or via `npm pack`."""
    if source and source.endswith(".json"):
        raw = Path(source).read_bytes()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            if source:
                tgz = Path(source)
            else:
                name = (
                    subprocess.run(
                        ["npm", "pack", PACKAGE, "--silent"],
                        cwd=tmp,
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    .stdout.strip()
                    .splitlines()[-1]
                )
                tgz = Path(tmp) / name
            with tarfile.open(tgz) as tar:
                raw = tar.extractfile(MEMBER).read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        print(f"warning: sha256 {digest} differs from the pinned {SHA256}", file=sys.stderr)
    return json.loads(raw)


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """Delta-decode and de-quantise every arc to (lon, lat) tuples."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def simplify(pts: list, tol: float) -> list:
    """Douglas-Peucker (iterative), keeping both end points."""
    if len(pts) < 3:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        i, j = stack.pop()
        (x1, y1), (x2, y2) = pts[i], pts[j]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        best, idx = -1.0, -1
        for k in range(i + 1, j):
            px, py = pts[k]
            d = abs(dy * (px - x1) - dx * (py - y1)) / norm if norm else ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
            if d > best:
                best, idx = d, k
        if idx > 0 and best > tol:
            keep[idx] = True
            stack += [(i, idx), (idx, j)]
    return [p for p, k in zip(pts, keep) if k]


def ring(arc_ids: list[int], arcs: list) -> list:
    """Stitch a ring from arc indices (negative = reversed arc ~i)."""
    out: list = []
    for a in arc_ids:
        pts = arcs[a] if a >= 0 else arcs[~a][::-1]
        out.extend(pts if not out else pts[1:])
    return out


def _polys(geom: dict) -> list:
    return [geom["arcs"]] if geom["type"] == "Polygon" else geom["arcs"]


def _inside(pt: tuple, ring_pts: list) -> bool:
    x, y, inside = pt[0], pt[1], False
    for (x1, y1), (x2, y2) in pairwise(ring_pts):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def merge_rings(a: list[int], b: list[int], arcs: list) -> list[int]:
    """Union of two adjacent rings given as arc indices: drop the arcs they share, stitch the rest."""

    def key(i: int) -> int:
        return i if i >= 0 else ~i

    def ends(i: int) -> tuple:
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]
        return pts[0], pts[-1]

    shared = {key(i) for i in a} & {key(i) for i in b}
    if not shared:
        raise ValueError("rings share no arc")
    rest = [i for i in a + b if key(i) not in shared]
    out = [rest.pop(0)]
    while rest:
        end = ends(out[-1])[1]
        nxt = next((k for k, i in enumerate(rest) if ends(i)[0] == end), None)
        if nxt is None:
            raise ValueError("merged ring does not close")
        out.append(rest.pop(nxt))
    return out


def reassign(topo: dict, arcs: list, src: str, point: tuple, dst: str) -> None:
    """Move the polygon of `src` containing `point` into `dst`, merged with the polygon it borders."""
    geoms = {g.get("properties", {}).get("name"): g for g in topo["objects"]["countries"]["geometries"]}
    s_polys, d_polys = _polys(geoms[src]), _polys(geoms[dst])
    moved = next(p for p in s_polys if _inside(point, ring(p[0], arcs)))
    s_polys.remove(moved)
    keys = {i if i >= 0 else ~i for i in moved[0]}
    target = next(p for p in d_polys if keys & {i if i >= 0 else ~i for i in p[0]})
    target[0] = merge_rings(target[0], moved[0], arcs)
    target.extend(moved[1:])
    for name, polys in ((src, s_polys), (dst, d_polys)):
        geoms[name]["type"], geoms[name]["arcs"] = ("Polygon", polys[0]) if len(polys) == 1 else ("MultiPolygon", polys)


def clip_ring(pts: list, box: tuple) -> list:
    """Sutherland-Hodgman clip of a closed ring to an axis-aligned box."""
    x0, y0, x1, y1 = box
    edges = [
        (lambda p: p[0] >= x0, lambda a, b: (x0, a[1] + (b[1] - a[1]) * (x0 - a[0]) / (b[0] - a[0]))),
        (lambda p: p[0] <= x1, lambda a, b: (x1, a[1] + (b[1] - a[1]) * (x1 - a[0]) / (b[0] - a[0]))),
        (lambda p: p[1] >= y0, lambda a, b: (a[0] + (b[0] - a[0]) * (y0 - a[1]) / (b[1] - a[1]), y0)),
        (lambda p: p[1] <= y1, lambda a, b: (a[0] + (b[0] - a[0]) * (y1 - a[1]) / (b[1] - a[1]), y1)),
    ]
    poly = pts[:-1] if pts and pts[0] == pts[-1] else list(pts)
    for inside, cross in edges:
        if not poly:
            break
        res, prev = [], poly[-1]
        for cur in poly:
            if inside(cur):
                if not inside(prev):
                    res.append(cross(prev, cur))
                res.append(cur)
            elif inside(prev):
                res.append(cross(prev, cur))
            prev = cur
        poly = res
    return poly


def finish_ring(pts: list) -> list | None:
    """Round, drop repeated points, close; None if the ring collapsed."""
    out: list = []
    for x, y in pts:
        p = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or p != out[-1]:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    if len(out) < 3:
        return None
    return [*out, out[0]]


def bbox_hits(pts: list, box: tuple) -> bool:
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return max(xs) >= box[0] and min(xs) <= box[2] and max(ys) >= box[1] and min(ys) <= box[3]


def build(topo: dict, clip: tuple = CLIP, de_jure: bool = True) -> dict:
    """Return a GeoJSON FeatureCollection of the countries touching ``clip``, clipped to it."""
    topo = json.loads(json.dumps(topo))  # reassign() edits geometries
    arcs = [simplify(a, TOLERANCE) for a in decode_arcs(topo)]
    for src, point, dst in DE_JURE if de_jure else []:
        reassign(topo, arcs, src, point, dst)
    features = []
    for geom in topo["objects"]["countries"]["geometries"]:
        if geom.get("type") == "Polygon":
            polys = [geom["arcs"]]
        elif geom.get("type") == "MultiPolygon":
            polys = geom["arcs"]
        else:
            continue
        out_polys = []
        for poly in polys:
            rings = [ring(r, arcs) for r in poly]
            if not bbox_hits(rings[0], clip):
                continue
            clipped = [finish_ring(clip_ring(r, clip)) for r in rings]
            if clipped[0] is None:
                continue
            out_polys.append([clipped[0]] + [r for r in clipped[1:] if r])
        if not out_polys:
            continue
        name = geom.get("properties", {}).get("name", "")
        iso2 = ISO2.get(str(geom.get("id")), ISO2_BY_NAME.get(name))
        if iso2 is None:
            print(f"note: no ISO2 for {name!r} (id {geom.get('id')})", file=sys.stderr)
        geometry = (
            {"type": "Polygon", "coordinates": out_polys[0]}
            if len(out_polys) == 1
            else {"type": "MultiPolygon", "coordinates": out_polys}
        )
        features.append({"type": "Feature", "properties": {"name": name, "iso2": iso2}, "geometry": geometry})
    features.sort(key=lambda f: f["properties"]["name"])
    return {
        "type": "FeatureCollection",
        "bbox": list(clip),
        "features": features,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", help="countries-50m.json or world-atlas-*.tgz (default: npm pack)")
    ap.add_argument("-o", "--out", default=str(OUT))
    ap.add_argument("--de-facto", action="store_true", help="keep Natural Earth's de facto polygons (see DE_JURE)")
    args = ap.parse_args(argv)
    geo = build(load_topology(args.source), de_jure=not args.de_facto)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(geo, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB, {len(geo['features'])} features)")


if __name__ == "__main__":
    main()
