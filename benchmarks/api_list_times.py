"""Time the API's people list, a page of 100 (the first, and one deep in the list), against
the floor of the same rows read with plain psycopg, on a large organisation:

    benchmarks/generate_org.sh            # bench-l on PostgreSQL
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/api_list_times.py bench-l
"""

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from benchmarks.timing import RUNS  # noqa: E402
from teams.models import Organisation, Person  # noqa: E402
from teams.tokens import token_create  # noqa: E402


def main(slug: str) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api": "1000000/min"}}
    organisation = Organisation.objects.get(slug=slug)
    people = Person.objects.filter(organisation=organisation).count()
    _, key = token_create(organisation=organisation, name="bench", scope="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    middle = people // 200
    for label, query in (("first page", ""), (f"page {middle}", f"?page={middle}")):
        url = f"/api/v1/orgs/{slug}/people/{query}"
        client.get(url)
        timings = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        offset = 0 if not query else (middle - 1) * 100
        floor = []
        with connection.cursor() as cursor:
            for _ in range(RUNS):
                started = time.perf_counter()
                cursor.execute(
                    "SELECT p.*, m.external_id FROM teams_person p "
                    "LEFT JOIN teams_person m ON m.id = p.manager_id "
                    "WHERE p.organisation_id = %s ORDER BY p.name, p.id LIMIT 100 OFFSET %s",
                    [organisation.pk, offset],
                )
                cursor.fetchall()
                floor.append(time.perf_counter() - started)
        print(f"{slug} ({people} people) API people list, {label}: "
              f"median {statistics.median(timings) * 1000:.1f} ms "
              f"(min {min(timings) * 1000:.1f}, max {max(timings) * 1000:.1f}), "
              f"{len(queries)} queries; floor (the page's SELECT) "
              f"{statistics.median(floor) * 1000:.2f} ms")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-l")
