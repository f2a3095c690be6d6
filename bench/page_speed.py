"""Page speed against the framework floor (cold and warm), and WebSocket payload per page load.

    python -m bench.page_speed [--cold N] [--warm N] [--pages trade,map] [--quiet-ms 300]

Both the app (app.py) and the floor (bench/floor_app.py) are st.Apps, started the same way and served by
uvicorn; every page of st.navigation is measured (browser_common.PAGES: / and the eight others).

Cold: the clock starts just before `python -m streamlit run <script>` is spawned on a free port; Chromium
(already running) opens the page as soon as /_stcore/health answers; the clock stops at the page's last
visual change (see "visuals stable" below). One fresh server per measurement, stopped afterwards.

Warm: the dashboard and the floor each run on one server that has already served every page once; every
visit is a fresh browser context (no HTTP cache, no cookies, a new Streamlit session), and the clock runs
from `page.goto` to the last visual change.

"Visuals stable": an init script records the wall-clock time of the last change to anything a person could
see: every DOM mutation (MutationObserver on the whole document: child lists, attributes, text) and every
draw call into a canvas (WebGL/WebGL2 draw*/clear for deck.gl and Plotly's GL traces, 2D fill/stroke/
drawImage/text for the data grids). The page counts as drawn when
  - the app root reports `data-test-script-state="notRunning"`, no spinner/skeleton/stale element is left,
  - every Plotly chart has its `.main-svg`, every pydeck chart a `<canvas>` that has been drawn into, every
    data grid that has a canvas (one in a closed expander or hidden tab has none) has drawn into it, and
  - nothing has changed for the quiet window (default 300 ms).
The time reported is that of the last change: the quiet window is not counted.

Order: floor, page 1, floor, page 2, ... repeated, so drift (thermal, caches, other load) hits both.
Payload: bytes of every WebSocket frame received plus sent during a visit (Playwright's framereceived /
framesent), median over the warm visits; cold visits are recorded too.

Results: bench/results/page_speed.json and bench/results/payload.json; a summary on stdout.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.browser_common import (
    APP_SCRIPT,
    FLOOR_SCRIPT,
    PAGES,
    VIEWPORT,
    fmt,
    install_sigterm,
    launch_chromium,
    machine,
    median,
    ratio,
    start_server,
    table,
    write_result,
)

GOAL_RATIO = 1.2
GOAL_PAYLOAD = 1_000_000  # bytes
VISIT_TIMEOUT_S = 60

INIT_SCRIPT = r"""
(() => {
  if (window.__bench) return;
  const b = window.__bench = {last: Date.now(), lastOutsideCanvas: Date.now(), mutations: 0, draws: 0};
  if (performance.setResourceTimingBufferSize) performance.setResourceTimingBufferSize(2000);
  // Inside a <canvas> is fallback content, never drawn where canvas works: the data grids put their table for
  // screen readers there, 200 ms (debounced) after their last change. Counted in `last` (the goal); reported
  // apart as `lastOutsideCanvas` (what a sighted reader sees change).
  const inCanvas = (node) => { const el = node.nodeType === 1 ? node : node.parentElement;
    return !!(el && el.closest && el.closest('canvas')); };
  new MutationObserver((records) => {
    const now = Date.now();
    b.mutations += records.length; b.last = now;
    if (records.some((r) => !inCanvas(r.target))) b.lastOutsideCanvas = now;
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const hook = (proto, names) => {
    if (!proto) return;
    for (const name of names) {
      const original = proto[name];
      if (typeof original !== 'function') continue;
      proto[name] = function (...args) {
        b.draws++; b.last = b.lastOutsideCanvas = Date.now();
        if (this.canvas) this.canvas.__benchDrawn = true;
        return original.apply(this, args);
      };
    }
  };
  const gl = ['drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced', 'drawRangeElements',
              'clear'];
  hook(window.WebGLRenderingContext && WebGLRenderingContext.prototype, gl);
  hook(window.WebGL2RenderingContext && WebGL2RenderingContext.prototype, gl);
  hook(window.CanvasRenderingContext2D && CanvasRenderingContext2D.prototype,
       ['fillRect', 'clearRect', 'strokeRect', 'fill', 'stroke', 'fillText', 'strokeText', 'drawImage',
        'putImageData']);
})();
"""

# True once the page is drawn and has been still for `quiet` ms (see the module docstring).
STABLE_JS = r"""
(quiet) => {
  const b = window.__bench;
  if (!b) return false;
  if (!document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')) return false;
  if (document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"], '
      + '[data-testid="stSkeletonElement"], [data-testid="stAppSkeleton"], [data-stale="true"]')) return false;
  for (const el of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (!el.querySelector('.main-svg')) return false;
  const drawn = (el) => [...el.querySelectorAll('canvas')].some((c) => c.__benchDrawn);
  for (const el of document.querySelectorAll('[data-testid="stDeckGlJsonChart"]'))
    if (!drawn(el)) return false;
  // A data grid has no canvas until it is shown (a closed expander, a hidden tab); once it has one, it must draw.
  for (const el of document.querySelectorAll('[data-testid="stDataFrame"]'))
    if (el.querySelector('canvas') && !drawn(el)) return false;
  return Date.now() - b.last >= quiet;
}
"""

SUMMARY_JS = r"""
() => ({
  last: window.__bench.last, last_outside_canvas: window.__bench.lastOutsideCanvas,
  mutations: window.__bench.mutations, draws: window.__bench.draws,
  plotly: document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
  decks: document.querySelectorAll('[data-testid="stDeckGlJsonChart"]').length,
  grids: document.querySelectorAll('[data-testid="stDataFrame"]').length,
  exceptions: document.querySelectorAll('[data-testid="stException"]').length,
  elements: document.querySelectorAll('[data-testid="stElementContainer"]').length,
  js_files: performance.getEntriesByType('resource').filter((e) => /\.m?js(\?|$)/.test(e.name)).length,
  js_bytes: performance.getEntriesByType('resource').filter((e) => /\.m?js(\?|$)/.test(e.name))
    .reduce((sum, e) => sum + (e.decodedBodySize || 0), 0),
})
"""


def _is_local(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    return (parts.hostname or "") in ("127.0.0.1", "localhost")


def visit(browser, url: str, quiet_ms: int, t0: float | None = None) -> dict:
    """Open `url` in a fresh context; return timings (s, from t0 or goto) and WebSocket byte counts."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    context = browser.new_context(viewport=VIEWPORT, service_workers="block", locale="en-GB", timezone_id="UTC")
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    ws_stats = {"received": 0, "sent": 0, "frames_received": 0, "first_frame": None, "script_finished": None}
    offsite: list[str] = []
    errors: list[str] = []

    def on_ws(ws):
        def received(payload):
            size = len(payload)
            ws_stats["received"] += size
            ws_stats["frames_received"] += 1
            now = time.time()
            if ws_stats["first_frame"] is None:
                ws_stats["first_frame"] = now
            if isinstance(payload, bytes) and ws_stats["script_finished"] is None and size < 200:
                message = ForwardMsg()
                try:
                    message.ParseFromString(payload)
                except Exception:
                    return
                if message.WhichOneof("type") == "script_finished":
                    ws_stats["script_finished"] = now

        def sent(payload):
            ws_stats["sent"] += len(payload)

        ws.on("framereceived", received)
        ws.on("framesent", sent)

    page.on("websocket", on_ws)
    page.on("request", lambda r: None if _is_local(r.url) else offsite.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        goto_at = time.time()
        start = t0 if t0 is not None else goto_at
        page.goto(url, wait_until="commit", timeout=VISIT_TIMEOUT_S * 1000)
        page.wait_for_function(STABLE_JS, arg=quiet_ms, polling=50, timeout=VISIT_TIMEOUT_S * 1000)
        summary = page.evaluate(SUMMARY_JS)
        page.wait_for_timeout(100)  # late frames still count towards the payload
    finally:
        context.close()
    last = summary["last"] / 1000

    def rel(t):
        return None if t is None else round(t - start, 4)

    return {
        "seconds": round(last - start, 4),
        "seconds_outside_canvas": round(summary["last_outside_canvas"] / 1000 - start, 4),
        "goto_at": rel(goto_at),
        "first_ws_frame": rel(ws_stats["first_frame"]),
        "script_finished": rel(ws_stats["script_finished"]),
        "ws_received": ws_stats["received"],
        "ws_sent": ws_stats["sent"],
        "ws_bytes": ws_stats["received"] + ws_stats["sent"],
        "ws_frames": ws_stats["frames_received"],
        "offsite_requests": offsite,
        "page_errors": errors,
        **{
            k: summary[k]
            for k in (
                "mutations",
                "draws",
                "plotly",
                "decks",
                "grids",
                "exceptions",
                "elements",
                "js_files",
                "js_bytes",
            )
        },
    }


def cold_visit(browser, script: str, path: str, quiet_ms: int, label: str) -> dict:
    server = start_server(script, wait=False, log_name=f"cold-{label}")
    try:
        from bench.browser_common import wait_healthy

        wait_healthy(server, poll_s=0.02)
        result = visit(browser, server.base + path, quiet_ms, t0=server.started)
        result["healthy_at"] = round(server.healthy_at - server.started, 4)
        result["rss_kb_after"] = server.rss_kb()
    finally:
        server.stop()
    return result


def _record(samples: dict, key: str, result: dict, failures: list, where: str) -> None:
    samples.setdefault(key, []).append(result)
    if result["offsite_requests"] or result["page_errors"] or result["exceptions"]:
        failures.append(
            {
                "where": where,
                "offsite": result["offsite_requests"],
                "errors": result["page_errors"],
                "exceptions": result["exceptions"],
            }
        )


def _safe(failures: list, where: str, fn, *args):
    try:
        return fn(*args)
    except Exception as error:
        failures.append({"where": where, "error": f"{type(error).__name__}: {error}"[:500]})
        print(f"  ! {where}: {type(error).__name__}: {str(error)[:200]}", flush=True)
        return None


def _within_budget(phase_start: float, repeats_done: int, budget_s: float | None) -> bool:
    """Whether another repeat fits in the phase's time budget (the first repeat always runs)."""
    if not budget_s or repeats_done == 0:
        return True
    spent = time.monotonic() - phase_start
    return spent + spent / repeats_done <= budget_s


def run(
    cold: int = 3,
    warm: int = 5,
    pages: list[str] | None = None,
    quiet_ms: int = 300,
    query: str = "",
    cold_budget_s: float | None = None,
    warm_budget_s: float | None = None,
) -> dict:
    from playwright.sync_api import sync_playwright

    selected = [p for p in PAGES if not pages or p[0] in pages]
    suffix = f"?{query}" if query else ""
    failures: list = []
    cold_samples: dict[str, list] = {}
    warm_samples: dict[str, list] = {}
    t_begin = time.monotonic()
    done = {"cold": 0, "warm": 0}
    cut = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            # --- cold ---------------------------------------------------------------------------
            if cold:
                # One untimed cold start of each script: Python's bytecode caches and the OS page cache are
                # warm for both before anything is measured.
                _safe(failures, "prime floor", cold_visit, browser, FLOOR_SCRIPT, "/", quiet_ms, "floor")
                _safe(failures, "prime app", cold_visit, browser, APP_SCRIPT, "/", quiet_ms, "app")
            phase = time.monotonic()
            for rep in range(cold):
                if not _within_budget(phase, rep, cold_budget_s):
                    cut.append(f"cold: {rep} of {cold} repeats (budget {cold_budget_s} s)")
                    print(f"  (cold: stopping after {rep} repeats, the next would pass the {cold_budget_s} s budget)")
                    break
                done["cold"] = rep + 1
                for name, path, _ in selected:
                    for key, script, url_path in (("floor", FLOOR_SCRIPT, "/"), (name, APP_SCRIPT, path)):
                        where = f"cold {rep + 1}/{cold} {key}" + (f" (before {name})" if key == "floor" else "")
                        result = _safe(
                            failures,
                            where,
                            cold_visit,
                            browser,
                            script,
                            url_path + suffix,
                            quiet_ms,
                            "floor" if key == "floor" else "app",
                        )
                        if result:
                            result["before"] = name if key == "floor" else None
                            _record(cold_samples, key, result, failures, where)
                            print(
                                f"  {where}: {result['seconds']:.2f} s "
                                f"(healthy {result['healthy_at']:.2f} s, {result['ws_bytes']:,} WS bytes)",
                                flush=True,
                            )
            # --- warm ---------------------------------------------------------------------------
            if warm:
                app = start_server(APP_SCRIPT, log_name="warm-app")
                floor = start_server(FLOOR_SCRIPT, log_name="warm-floor")
                try:
                    _safe(failures, "prime floor", visit, browser, floor.base + "/" + suffix, quiet_ms)
                    for name, path, _ in selected:  # every page served once: caches filled, modules imported
                        _safe(failures, f"prime {name}", visit, browser, app.base + path + suffix, quiet_ms)
                    phase = time.monotonic()
                    for rep in range(warm):
                        if not _within_budget(phase, rep, warm_budget_s):
                            cut.append(f"warm: {rep} of {warm} repeats (budget {warm_budget_s} s)")
                            print(
                                f"  (warm: stopping after {rep} repeats, the next would pass the "
                                f"{warm_budget_s} s budget)"
                            )
                            break
                        done["warm"] = rep + 1
                        for name, path, _ in selected:
                            for key, base, url_path in (("floor", floor.base, "/"), (name, app.base, path)):
                                where = f"warm {rep + 1}/{warm} {key}" + (f" (before {name})" if key == "floor" else "")
                                result = _safe(failures, where, visit, browser, base + url_path + suffix, quiet_ms)
                                if result:
                                    result["before"] = name if key == "floor" else None
                                    _record(warm_samples, key, result, failures, where)
                                    print(
                                        f"  {where}: {result['seconds']:.2f} s ({result['ws_bytes']:,} WS bytes)",
                                        flush=True,
                                    )
                    rss = {"app_kb": app.rss_kb(), "floor_kb": floor.rss_kb()}
                finally:
                    app.stop()
                    floor.stop()
            else:
                rss = {}
        finally:
            browser.close()

    def med(samples, key, field="seconds"):
        return median([s[field] for s in samples.get(key, [])])

    def paired(samples, name):
        """Median of (page / the floor run just before it): drift between the two runs cancels out."""
        floors = [s["seconds"] for s in samples.get("floor", []) if s.get("before") == name]
        ours = [s["seconds"] for s in samples.get(name, [])]
        return median([o / f for o, f in zip(ours, floors, strict=False) if f])

    rows = []
    for name, path, _ in selected:
        cold_ours, cold_floor = med(cold_samples, name), med(cold_samples, "floor")
        warm_ours, warm_floor = med(warm_samples, name), med(warm_samples, "floor")
        cr, wr = ratio(cold_ours, cold_floor), ratio(warm_ours, warm_floor)
        rows.append(
            {
                "page": name,
                "path": path,
                "cold_median_s": cold_ours,
                "cold_floor_median_s": cold_floor,
                "cold_ratio": cr,
                "cold_paired_ratio": paired(cold_samples, name),
                "warm_median_s": warm_ours,
                "warm_floor_median_s": warm_floor,
                "warm_ratio": wr,
                "warm_paired_ratio": paired(warm_samples, name),
                "cold_script_finished_median_s": med(cold_samples, name, "script_finished"),
                "cold_healthy_median_s": med(cold_samples, name, "healthy_at"),
                "warm_script_finished_median_s": med(warm_samples, name, "script_finished"),
                "warm_first_ws_frame_median_s": med(warm_samples, name, "first_ws_frame"),
                "cold_outside_canvas_ratio": ratio(
                    med(cold_samples, name, "seconds_outside_canvas"),
                    med(cold_samples, "floor", "seconds_outside_canvas"),
                ),
                "warm_outside_canvas_ratio": ratio(
                    med(warm_samples, name, "seconds_outside_canvas"),
                    med(warm_samples, "floor", "seconds_outside_canvas"),
                ),
                "cold_n": len(cold_samples.get(name, [])),
                "warm_n": len(warm_samples.get(name, [])),
                "goal_met": (not cold or (cr is not None and cr <= GOAL_RATIO))
                and (not warm or (wr is not None and wr <= GOAL_RATIO)),
            }
        )
    floor_row = {
        "cold_median_s": med(cold_samples, "floor"),
        "warm_median_s": med(warm_samples, "floor"),
        "cold_script_finished_median_s": med(cold_samples, "floor", "script_finished"),
        "cold_healthy_median_s": med(cold_samples, "floor", "healthy_at"),
        "warm_script_finished_median_s": med(warm_samples, "floor", "script_finished"),
        "cold_n": len(cold_samples.get("floor", [])),
        "warm_n": len(warm_samples.get("floor", [])),
    }
    speed = {
        "benchmark": "page_speed",
        "machine": machine(),
        "settings": {
            "cold_repeats": cold,
            "warm_repeats": warm,
            "cold_repeats_done": done["cold"],
            "warm_repeats_done": done["warm"],
            "cut_by_budget": cut,
            "cold_budget_s": cold_budget_s,
            "warm_budget_s": warm_budget_s,
            "quiet_ms": quiet_ms,
            "query": query,
            "goal_ratio": GOAL_RATIO,
            "order": "floor, page, floor, page, ... per repeat",
        },
        "floor": floor_row,
        "pages": rows,
        "server_rss_after_warm": rss,
        "failures": failures,
        "samples": {"cold": cold_samples, "warm": warm_samples},
        "elapsed_s": round(time.monotonic() - t_begin, 1),
    }
    payload_rows = []
    source = warm_samples if warm else cold_samples
    for key in ["floor"] + [name for name, _, _ in selected]:
        got = source.get(key, [])
        total = median([s["ws_bytes"] for s in got])
        payload_rows.append(
            {
                "page": key,
                "ws_bytes_median": total,
                "ws_received_median": median([s["ws_received"] for s in got]),
                "ws_sent_median": median([s["ws_sent"] for s in got]),
                "ws_bytes_max": max((s["ws_bytes"] for s in got), default=None),
                "cold_ws_bytes_median": median([s["ws_bytes"] for s in cold_samples.get(key, [])]),
                "js_bytes_median": median([s["js_bytes"] for s in got]),
                "js_files_median": median([s["js_files"] for s in got]),
                "visits": len(got),
                "goal_met": None if key == "floor" or total is None else total <= GOAL_PAYLOAD,
            }
        )
    payload = {
        "benchmark": "payload",
        "machine": machine(),
        "settings": {
            "measured_on": "warm visits" if warm else "cold visits",
            "goal_bytes": GOAL_PAYLOAD,
            "what": "bytes of WebSocket frames received + sent, one page load in a fresh context",
        },
        "pages": payload_rows,
    }
    speed["results_file"] = str(write_result("page_speed", speed))
    payload["results_file"] = str(write_result("payload", payload))
    return {"page_speed": speed, "payload": payload}


def _bytes(value) -> str:
    return "—" if value is None else f"{int(value):,}"


def summary(result: dict) -> str:
    speed, payload = result["page_speed"], result["payload"]
    floor = speed["floor"]
    settings = speed["settings"]
    title = (
        f"## Page speed (medians; cold {settings['cold_repeats_done']}×, warm {settings['warm_repeats_done']}× "
        f"per page, each after its own floor run; goal ≤ {GOAL_RATIO}× floor)"
    )
    lines = [title, ""]
    rows = [
        [
            "floor",
            fmt(floor["cold_median_s"], " s"),
            "",
            "",
            fmt(floor["warm_median_s"], " s"),
            "",
            "",
            fmt(floor["warm_script_finished_median_s"], " s"),
            "",
            "",
        ]
    ]
    for r in speed["pages"]:
        rows.append(
            [
                r["page"],
                fmt(r["cold_median_s"], " s"),
                fmt(r["cold_ratio"], "×"),
                fmt(r["cold_paired_ratio"], "×"),
                fmt(r["warm_median_s"], " s"),
                fmt(r["warm_ratio"], "×"),
                fmt(r["warm_paired_ratio"], "×"),
                fmt(r["warm_script_finished_median_s"], " s"),
                "yes" if r["goal_met"] else "NO",
                f"{fmt(r.get('cold_outside_canvas_ratio'), '×')} / {fmt(r.get('warm_outside_canvas_ratio'), '×')}",
            ]
        )
    lines.append(
        table(
            [
                "page",
                "cold",
                "cold ratio",
                "(paired)",
                "warm",
                "warm ratio",
                "(paired)",
                "warm: script done at",
                "goal met",
                "outside canvas: cold / warm ratio (not the goal)",
            ],
            rows,
        )
    )
    lines += [
        "",
        (
            "ratio = page median / median of all floor runs of that phase (the goal); paired = median "
            "of page / the floor run just before it. Outside canvas: the same ratios with the last change "
            "outside any <canvas> (the grids' screen-reader tables, put inside their canvas 200 ms after it "
            "settles, not counted): for reading, not the goal."
        ),
    ]
    lines += [
        "",
        (
            f"## WebSocket payload per page load (median of {payload['settings']['measured_on']}; "
            f"goal ≤ {GOAL_PAYLOAD / 1e6:.0f} MB)"
        ),
        "",
    ]
    lines.append(
        table(
            ["page", "bytes (recv + sent)", "received", "sent", "max", "goal met", "JS over HTTP (not in goal)"],
            [
                [
                    r["page"],
                    _bytes(r["ws_bytes_median"]),
                    _bytes(r["ws_received_median"]),
                    _bytes(r["ws_sent_median"]),
                    _bytes(r["ws_bytes_max"]),
                    "—" if r["goal_met"] is None else ("yes" if r["goal_met"] else "NO"),
                    f"{_bytes(r['js_bytes_median'])} B in {_bytes(r['js_files_median'])} files",
                ]
                for r in payload["pages"]
            ],
        )
    )
    if speed["failures"]:
        lines += ["", f"Failures ({len(speed['failures'])}):"] + [f"- {f}" for f in speed["failures"][:20]]
    lines += ["", f"({speed['elapsed_s']} s; {speed['results_file']}, {payload['results_file']})"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", type=int, default=3, help="cold starts per page (and as many of the floor)")
    parser.add_argument("--warm", type=int, default=5, help="warm visits per page (and as many of the floor)")
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    parser.add_argument("--quiet-ms", type=int, default=300, help="the 'visuals stable' quiet window")
    parser.add_argument("--query", default="", help="query string for every visit, e.g. from=2010&to=2020")
    parser.add_argument(
        "--cold-budget",
        type=float,
        default=None,
        help="seconds for the cold phase: no new repeat starts that would pass it",
    )
    parser.add_argument("--warm-budget", type=float, default=None, help="the same for the warm phase")
    args = parser.parse_args(argv)
    install_sigterm()
    result = run(
        cold=args.cold,
        warm=args.warm,
        pages=[p for p in args.pages.split(",") if p] or None,
        quiet_ms=args.quiet_ms,
        query=args.query,
        cold_budget_s=args.cold_budget,
        warm_budget_s=args.warm_budget,
    )
    print(summary(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
