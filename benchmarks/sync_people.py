"""Time the bulk people sync (the service behind `POST people/sync/` and the roster import)
on a whole-company batch: create, then the same batch again, then a change to everyone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/sync_people.py 50000
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from orgdesign.scenarios.services import design_delete  # noqa: E402
from teams import services  # noqa: E402
from teams.models import Organisation  # noqa: E402
from teams.sync import sync_people  # noqa: E402


def batch(size: int, title: str) -> list[dict]:
    """A company tree with eight reports a manager; one in twenty people in a team."""
    return [
        {
            "external_id": f"E{n:06d}",
            "name": f"Person {n}",
            "email": f"person{n}@corp.example",
            "title": title,
            "role": "software_engineer",
            "manager_external_id": f"E{(n - 1) // 8:06d}" if n else None,
            "active": True,
            **({"teams": [{"team": "Platform", "allocation": 100}]} if n % 20 == 0 else {}),
        }
        for n in range(size)
    ]


def timed(label: str, **kwargs) -> None:
    started = time.perf_counter()
    result = sync_people(**kwargs)
    elapsed = time.perf_counter() - started
    counts = {k: v for k, v in result.as_dict().items() if k != "errors"}
    print(f"{label:28} {elapsed:6.1f} s  {counts}  errors={len(result.errors)}")


def main(size: int) -> None:
    slug = f"sync-bench-{size}"
    for old in Organisation.objects.filter(slug=slug):
        design_delete(old)
    organisation = services.organisation_create(slug=slug, name=f"Sync bench {size}")
    services.team_create(organisation=organisation, name="Platform", kind="infrastructure")
    first = batch(size, "Engineer")
    timed("create (snapshot)", organisation=organisation, records=first, mode="snapshot")
    timed("same batch again", organisation=organisation, records=first, mode="snapshot")
    timed("dry run of a change to all", organisation=organisation,
          records=batch(size, "Senior engineer"), mode="snapshot", dry_run=True)
    timed("change to everyone", organisation=organisation,
          records=batch(size, "Senior engineer"), mode="snapshot")
    for old in Organisation.objects.filter(slug=slug):
        design_delete(old)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
