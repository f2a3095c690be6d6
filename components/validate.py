"""Validate every table of datapackage.json: `python -m components.validate [DATA_DIR]`.

Prints "OK <table> (<n> rows)" or every problem of a table; exits 1 if any table has a problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

from components import schema
from components.loading import DataError, load_dataset

DEFAULT_DATA_DIR = schema.PACKAGE_PATH.parent


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or args[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 2
    data_dir = Path(args[0]) if args else DEFAULT_DATA_DIR
    failed = 0
    for name, result in load_dataset(data_dir).items():
        if isinstance(result, DataError):
            failed += 1
            n = len(result.problems)
            print(f"FAIL {name} ({n} problem{'s' * (n != 1)})")
            for problem in result.problems:
                print(f"  {problem}")
        else:
            print(f"OK {name} ({len(result)} rows)")
    print(f"{len(schema.table_names()) - failed} tables OK, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
