"""Validate every table of the data package: `python -m components.data.validate [DATA_DIR]`.

Prints "OK <table> (<n> rows)" or every problem of a table; exits 1 if any table has a problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

from components.data.loading import DataError, load_dataset
from components.data.package import data_dir


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or args[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 2
    folder = Path(args[0]) if args else data_dir()
    results = load_dataset(folder)
    failed = 0
    for name, result in results.items():
        if isinstance(result, DataError):
            failed += 1
            print(f"FAIL {name} ({result.total} problem{'s' * (result.total != 1)})")
            for problem in result.problems:
                print(f"  {problem}")
            if result.total > len(result.problems):
                print(f"  ... and {result.total - len(result.problems)} more")
        else:
            print(f"OK {name} ({len(result)} rows)")
    print(f"{len(results) - failed} tables OK, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
