"""Print the headline figures every benchmark of a ``make bench`` run reported, as one table.

Each benchmark appends JSON lines to the file named by ``$BENCH_RESULTS`` through
``bench_data.report(name, **figures)``; this reads them back and prints, per benchmark, one row
per line with a column per figure (in the order first reported).

    python scripts/bench_summary.py [.bench-cache/results.jsonl]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def table(rows: list[dict]) -> list[str]:
    """The rows as aligned text lines under a header; a figure a row lacks is left blank."""
    columns = list(dict.fromkeys(key for row in rows for key in row if key != "bench"))
    cells = [[cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = "  ".join
    return [
        line(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
        *(
            line(
                v.rjust(w) if isinstance(row.get(c), int | float) else v.ljust(w)
                for v, w, c in zip(r, widths, columns, strict=True)
            )
            for r, row in zip(cells, rows, strict=True)
        ),
    ]


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_RESULTS", ""))
    if not path.is_file():
        print(f"no benchmark results in {path or '(BENCH_RESULTS unset)'}")
        return 1
    groups: dict[str, list[dict]] = {}
    for text in path.read_text(encoding="utf-8").splitlines():
        if text.strip():
            row = json.loads(text)
            groups.setdefault(row.get("bench", "?"), []).append(row)
    print(f"\n=== benchmark summary ({path}) ===")
    for name, rows in groups.items():
        print(f"\n[{name}]")
        for text in table(rows):
            print("  " + text)
    print("\nFigures are medians or percentiles of one run on a shared machine: noisy.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
