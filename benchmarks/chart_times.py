"""Time the org chart of a large design: the page, its JSON (the first view, a chunk of
reports, finding a person), in-process with Django's test client, with their queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/chart_times.py bench-l
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from benchmarks.timing import RUNS, client_in, timed_get  # noqa: E402
from teams.models import Organisation, Person  # noqa: E402


def main(slug: str) -> None:
    organisation = Organisation.objects.get(slug=slug)
    client = client_in(organisation)
    manager = (Person.objects.filter(organisation=organisation, direct_reports__isnull=False)
               .order_by("id").first())
    someone = Person.objects.filter(organisation=organisation).order_by("-id").first()
    pages = [
        f"/orgs/{slug}/chart/",
        f"/orgs/{slug}/chart/data/",
        f"/orgs/{slug}/chart/data/?root={manager.pk}",
        f"/orgs/{slug}/chart/data/?find={someone.name.split()[0]}",
    ]
    print(f"{organisation.people.count()} people; median of {RUNS} runs")
    for url in pages:
        median, queries, response = timed_get(client, url)
        nodes = len(response.json()["nodes"]) if "data" in url else ""
        print(f"{url:55} {median * 1000:6.0f} ms  {queries} queries"
              f"  {len(response.content) // 1024} KiB {nodes}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-l")
