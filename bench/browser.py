"""All browser/network benchmarks in one run: page speed (cold, warm) and payload, then load.

    python -m bench.browser            # the full run, 12-20 minutes on 2 cores (the budgets bound it)
    python -m bench.browser --quick    # cold 1x, warm 2x, load at N = 1, 10: about 4 minutes
    python -m bench.browser --skip-load --cold 2 --warm 3 --pages trade,map
    python -m bench.browser --snapshot         # measure HEAD (git archive to a temp folder), not the work tree

See bench/BROWSER.md for what is measured and how. Results: bench/results/page_speed.json, payload.json,
load.json; the summary tables on stdout.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time

from bench import browser_common, load, page_speed
from bench.browser_common import install_sigterm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="cold 1x, warm 2x, load levels 1,10")
    parser.add_argument("--cold", type=int, default=None, help="cold starts per page (default 3)")
    parser.add_argument("--warm", type=int, default=None, help="warm visits per page (default 5)")
    parser.add_argument("--pages", default="", help="page-speed pages, comma-separated (default: all)")
    parser.add_argument(
        "--cold-budget",
        type=float,
        default=240,
        help="seconds for the cold phase; no repeat starts that would pass it (0: none)",
    )
    parser.add_argument("--warm-budget", type=float, default=320, help="the same for the warm phase")
    parser.add_argument("--levels", default=None, help="load: session counts (default 1,10,30)")
    parser.add_argument("--think-ms", type=int, default=0, help="load: pause between a session's pages")
    parser.add_argument("--level-timeout", type=float, default=180, help="load: hard limit per level (s)")
    parser.add_argument("--skip-speed", action="store_true", help="no page speed / payload")
    parser.add_argument("--skip-load", action="store_true", help="no load test")
    browser_common.add_app_options(parser)
    args = parser.parse_args(argv)
    install_sigterm()
    made = None
    if args.snapshot:
        made = browser_common.snapshot(args.snapshot)
        browser_common.set_app_root(made)
    elif args.app_root:
        browser_common.set_app_root(args.app_root)
    print(f"# app: {browser_common.app_version()}", flush=True)
    try:
        return _run(args)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def _run(args) -> int:
    cold = args.cold if args.cold is not None else (1 if args.quick else 3)
    warm = args.warm if args.warm is not None else (2 if args.quick else 5)
    levels = [int(x) for x in (args.levels or ("1,10" if args.quick else "1,10,30")).split(",") if x]
    began = time.monotonic()
    outputs = []
    if not args.skip_speed:
        print(f"# page speed and payload: cold {cold}x, warm {warm}x per page, floor before each page", flush=True)
        result = page_speed.run(
            cold=cold,
            warm=warm,
            pages=[p for p in args.pages.split(",") if p] or None,
            cold_budget_s=args.cold_budget or None,
            warm_budget_s=args.warm_budget or None,
        )
        outputs.append(page_speed.summary(result))
        print(outputs[-1], flush=True)
    if not args.skip_load:
        print(f"\n# load: N = {levels}, ours then the floor at each N", flush=True)
        report = load.run(levels, args.think_ms, args.level_timeout)
        outputs.append(load.summary(report))
        print(outputs[-1], flush=True)
    print(f"\n# done in {time.monotonic() - began:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
