"""Time "try a fix" on a large organisation, for the figures of docs/performance.md: the
remedies page of one finding of each code (warm: the design's analysis is kept), the plan of
every error's fix, one fix tried in a scenario (the copy, then the change), and every
error's fix tried in one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/fix_times.py bench-l
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from benchmarks.timing import client_in, timed_get  # noqa: E402
from orgdesign.analysis.catalogue import ERROR  # noqa: E402
from orgdesign.analysis.kept import analysis_of  # noqa: E402
from orgdesign.analysis.remedies import PROPOSERS, advise, plan_all_fixes  # noqa: E402
from orgdesign.scenarios.services import design_delete  # noqa: E402
from orgdesign.scenarios.try_fix import try_all_fixes, try_remedy  # noqa: E402
from teams.models import Organisation  # noqa: E402


def main(slug: str) -> None:
    organisation = Organisation.objects.get(slug=slug)
    analysis = analysis_of(organisation)
    print(f"{organisation.name}: {analysis.size} people, {len(analysis.findings)} findings, "
          f"{sum(f.severity == ERROR for f in analysis.findings)} errors")

    client = client_in(organisation)
    first_of_code = {}
    for finding in analysis.findings:
        if finding.code in PROPOSERS:
            first_of_code.setdefault(finding.code, finding)
    for code, finding in sorted(first_of_code.items()):
        seconds, queries, response = timed_get(
            client, f"/orgs/{slug}/findings/{finding.key}/remedies/")
        remedies = len(advise(analysis.index, analysis.findings, finding,
                              analysis.by_rule).remedies)
        print(f"remedies page, {code}: {seconds * 1000:.0f} ms, {queries} queries, "
              f"{remedies} remedies")

    timings = []
    for _ in range(3):
        started = time.perf_counter()
        plan = plan_all_fixes(analysis.index, analysis.findings, analysis.by_rule)
        timings.append(time.perf_counter() - started)
    print(f"plan of every error's fix: {statistics.median(timings):.1f} s (median of 3), "
          f"{len(plan.steps)} steps, {len(plan.changes)} changes, "
          f"{len(plan.left)} errors left of {sum(f.severity == ERROR for f in plan.before)}")

    finding = first_of_code["dependency.outside_ml_org"]
    started = time.perf_counter()
    tried = try_remedy(organisation=organisation, key=finding.key)
    print(f"one fix tried in a scenario (copy and change): {time.perf_counter() - started:.1f} s")
    design_delete(tried.scenario)

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        tried = try_all_fixes(organisation=organisation)
    print(f"every error's fix tried in one scenario: {time.perf_counter() - started:.1f} s, "
          f"{len(queries)} queries, {tried.changes} changes")
    design_delete(tried.scenario)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-l")
