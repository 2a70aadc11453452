"""Time the org chart of a large design: the page, its JSON (the first view, a chunk of
reports, finding a person), in-process with Django's test client, with their queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/chart_times.py bench-l
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from teams import services  # noqa: E402
from teams.models import Organisation, Person  # noqa: E402

RUNS = int(os.environ.get("RUNS", "5"))


def main(slug: str) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    organisation = Organisation.objects.get(slug=slug)
    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    services.access_grant(organisation=organisation, user=user, role="viewer")
    client = Client()
    client.force_login(user)
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
        client.get(url)
        timings = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        nodes = len(response.json()["nodes"]) if "data" in url else ""
        print(f"{url:55} {statistics.median(timings) * 1000:6.0f} ms  {len(queries)} queries"
              f"  {len(response.content) // 1024} KiB {nodes}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-l")
