"""Time the findings engine alone on a stored design: the design is loaded once (the five
queries of `load_org_data`), then `compute_findings` runs five times; prints the median, the
fastest, and how many findings of each code.

    benchmarks/generate_org.sh      # builds bench-l, 50,000 people
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/engine_times.py bench-l
"""

import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from orgdesign.analysis.findings import compute_findings  # noqa: E402
from orgdesign.analysis.loader import load_org_data  # noqa: E402
from teams.models import Organisation  # noqa: E402

RUNS = 5


def main(slug: str) -> None:
    data = load_org_data(Organisation.objects.get(slug=slug))
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        findings = compute_findings(data)
        seconds.append(time.perf_counter() - started)
    print(f"{slug}: compute_findings median {statistics.median(seconds):.3f} s, fastest "
          f"{min(seconds):.3f} s, {len(findings)} findings")
    for code, count in Counter(finding.code for finding in findings).most_common():
        print(f"  {code} {count}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-l")
