"""Time the pages of one organisation in-process (Django's test client: the whole request,
queries and rendering, without the network). Used for the page figures of
docs/performance.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/page_times.py bench-l
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from benchmarks.timing import RUNS, client_in, timed_get  # noqa: E402
from teams.models import Organisation  # noqa: E402

PAGES = ["/orgs/{slug}/", "/orgs/{slug}/?page=10", "/orgs/{slug}/?collapse=all",
         "/orgs/{slug}/findings/", "/orgs/{slug}/overview/", "/"]


def main(slug: str) -> None:
    organisation = Organisation.objects.get(slug=slug)
    client = client_in(organisation)
    print(f"{organisation.people.count()} people, {organisation.teams.count()} teams, "
          f"{organisation.pipelines.count()} pipelines; median of {RUNS} runs")
    for page in PAGES:
        url = page.format(slug=slug)
        median, queries, response = timed_get(client, url)
        print(f"{url:40} {median * 1000:7.0f} ms  {queries} queries  "
              f"({len(response.content) // 1024} KiB)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-l")
