"""Time `POST /api/v1/orgs/<slug>/people/sync/` with a whole-company batch, in-process
through Django's test client (JSON encoding and parsing, authentication, DRF, the sync).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/sync_api.py 50000
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from benchmarks.sync_people import batch  # noqa: E402
from orgdesign.scenarios.services import design_delete  # noqa: E402
from teams import services  # noqa: E402
from teams.models import Organisation  # noqa: E402
from teams.tokens import token_create  # noqa: E402


def main(size: int) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    slug = f"sync-api-{size}"
    for old in Organisation.objects.filter(slug=slug):
        design_delete(old)
    organisation = services.organisation_create(slug=slug, name=f"Sync API bench {size}")
    services.team_create(organisation=organisation, name="Platform", kind="infrastructure")
    _, key = token_create(organisation=organisation, name="bench", scope="write")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    url = f"/api/v1/orgs/{slug}/people/sync/"
    for label, title in (("create", "Engineer"), ("same batch again", "Engineer"),
                         ("change to everyone", "Senior engineer")):
        body = json.dumps({"mode": "snapshot", "dry_run": False, "people": batch(size, title)})
        started = time.perf_counter()
        response = client.post(url, body, content_type="application/json")
        elapsed = time.perf_counter() - started
        answer = response.json()
        answer["errors"] = len(answer.get("errors", []))
        print(f"{label:20} {elapsed:6.1f} s  HTTP {response.status_code}  "
              f"{len(body) // 1024} KiB  {answer}")
    for old in Organisation.objects.filter(slug=slug):
        design_delete(old)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
