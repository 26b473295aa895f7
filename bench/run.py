"""Run every benchmark under bench/ and print one JSON line per figure.

make bench                          # on the configured database (SQLite by default)
DATABASE_URL=postgres://… make bench
make bench BENCH_ARGS="geo"         # only benchmarks whose name contains "geo"
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = argv[1:]
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        if wanted and not any(w in name for w in wanted):
            continue
        proc = subprocess.run([sys.executable, str(script)], cwd=HERE)
        failed += proc.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
