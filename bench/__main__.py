"""Run the benchmarks: `python -m bench [name ...]` (all of them by default).

Each benchmark prints one JSON line per figure (`{"metric", "value", "unit", "limit", "ratio"}`) and the
whole run is written to bench/RESULTS.md with the machine it ran on and the date.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from pathlib import Path

import django

from bench import database

database.configure_environment()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

# Django must be set up before the benchmarks import models.
from bench import (  # noqa: E402
    bulk_import,
    order_list,
    preview_to_committed,
    submit_to_cancel,
    sync_paging,
    webhook_intake,
)
from bench.figures import Figure  # noqa: E402

BENCHMARKS = {
    "sync_paging": sync_paging.run,
    "bulk_import": bulk_import.run,
    "order_list": order_list.run,
    "webhook_intake": webhook_intake.run,
    "submit_to_cancel": submit_to_cancel.run,
    "preview_to_committed": preview_to_committed.run,
}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    system = f"{platform.system()} {platform.release()}"
    python = f"Python {platform.python_version()}"
    return f"{platform.machine()}, {os.cpu_count()} cores{memory}, {system}, {python}"


def write_results(figures: list[Figure]) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {machine()}, with `make bench`.",
        "",
        "| metric | value | unit | limit | ratio | note |",
        "|---|---:|---|---:|---:|---|",
    ]
    for f in figures:
        limit = "" if f.limit is None else f"{f.limit:g}"
        ratio = "" if f.ratio is None else f"{f.ratio:.3f}"
        lines.append(f"| {f.metric} | {f.value:g} | {f.unit} | {limit} | {ratio} | {f.note} |")
    RESULTS.write_text("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run, of {', '.join(BENCHMARKS)} (default: all)"
    )
    names = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    figures: list[Figure] = []
    for name in names:
        for figure in BENCHMARKS[name]():
            print(figure.as_json(), flush=True)
            figures.append(figure)
    if set(names) == set(BENCHMARKS):
        write_results(figures)
        print(f"wrote {RESULTS}", file=sys.stderr)
    else:  # a partial run must not replace the full table with a few rows
        print(f"a partial run: {RESULTS} left as it was (run them all to rewrite it)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
