"""Time the pages of one organisation in-process (Django's test client: the whole request,
queries and rendering, without the network). Used for the page figures of
docs/performance.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/page_times.py bench-l
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
from django.test import Client  # noqa: E402

from teams import services  # noqa: E402
from teams.models import Organisation  # noqa: E402

PAGES = ["/orgs/{slug}/", "/orgs/{slug}/?page=10", "/orgs/{slug}/?collapse=all",
         "/orgs/{slug}/findings/", "/orgs/{slug}/overview/", "/"]
RUNS = int(os.environ.get("RUNS", "5"))


def main(slug: str) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    organisation = Organisation.objects.get(slug=slug)
    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    services.access_grant(organisation=organisation, user=user, role="viewer")
    client = Client()
    client.force_login(user)
    print(f"{organisation.people.count()} people, {organisation.teams.count()} teams, "
          f"{organisation.pipelines.count()} pipelines; median of {RUNS} runs")
    for page in PAGES:
        url = page.format(slug=slug)
        client.get(url)  # warm-up: connections, template loading
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        print(f"{url:40} {statistics.median(timings) * 1000:7.0f} ms  "
              f"({len(response.content) // 1024} KiB)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-l")
