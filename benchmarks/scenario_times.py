"""Time a scenario copy of an organisation and the compare of the two designs, for the
scenario figures of docs/performance.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/scenario_times.py bench-l
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from orgdesign.analysis.compare import compare_designs  # noqa: E402
from orgdesign.analysis.loader import load_many  # noqa: E402
from orgdesign.scenarios.services import design_delete, scenario_create, scenario_promote  # noqa: E402
from teams.models import Organisation  # noqa: E402


def main(slug: str) -> None:
    origin = Organisation.objects.get(slug=slug)
    for old in Organisation.objects.filter(scenario_of=origin, name="Benchmark copy"):
        design_delete(old)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        copy = scenario_create(origin=origin, name="Benchmark copy")
    print(f"copy of {origin.people.count()} people: {time.perf_counter() - started:.1f} s, "
          f"{len(queries)} queries")
    for _ in range(3):
        started = time.perf_counter()
        data = load_many([origin, copy])
        comparison = compare_designs(data[origin.pk], data[copy.pk])
        print(f"load both and compare: {time.perf_counter() - started:.2f} s "
              f"({sum(comparison.counts.values())} differences)")
    # The promotion replaces the origin's rows with equal ones: the design stays the same.
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        backup = scenario_promote(scenario=copy)
    print(f"promote the copy (keep, wipe, copy in): {time.perf_counter() - started:.1f} s, "
          f"{len(queries)} queries")
    design_delete(copy)
    started = time.perf_counter()
    design_delete(backup)
    print(f"delete a design of {origin.people.count()} people: "
          f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-l")
