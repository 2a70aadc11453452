"""Time the history pages of a design with a long history: 50,000 people synced in, then
everyone's title changed (over 100,000 entries), then a few edits in the browser's way.
Each page is fetched in-process (Django's test client), with its number of queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/history_times.py 50000
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from benchmarks.sync_people import batch  # noqa: E402
from benchmarks.timing import RUNS, client_in, timed_get  # noqa: E402
from orgdesign.scenarios.services import design_delete  # noqa: E402
from pipelines.models import Pipeline  # noqa: E402
from teams import services  # noqa: E402
from teams.actor import Actor  # noqa: E402
from teams.models import Door, Organisation, Person  # noqa: E402
from teams.sync import sync_people  # noqa: E402


def main(size: int) -> None:
    slug = f"history-bench-{size}"
    for old in Organisation.objects.filter(slug=slug):
        design_delete(old)
    organisation = services.organisation_create(slug=slug, name=f"History bench {size}")
    services.team_create(organisation=organisation, name="Platform", kind="infrastructure")
    user, _ = get_user_model().objects.get_or_create(username="bench-editor")
    services.access_grant(organisation=organisation, user=user, role="editor")
    actor = Actor(via=Door.API, user=user)
    for title in ("Engineer", "Senior engineer"):
        started = time.perf_counter()
        sync_people(organisation=organisation, records=batch(size, title), mode="snapshot",
                    actor=actor)
        print(f"sync of {size} people ({title}): {time.perf_counter() - started:.1f} s")
    someone = Person.objects.filter(organisation=organisation).order_by("id")[size // 2]
    for number in range(20):
        services.person_update(person=someone, title=f"Title {number}", actor=actor)
    pipeline = Pipeline.objects.create(organisation=organisation, name="Ranking")
    entries = sum(
        model.history.filter(history_org=organisation.pk).count()
        for model in (Organisation, Person, Pipeline)
    )
    print(f"{entries} entries of people, pipelines and settings; median of {RUNS} runs")

    client = client_in(organisation, "bench-editor", "editor")
    base = f"/orgs/{slug}/history/"
    pages = [
        base,
        f"{base}?page=1000",
        f"{base}?kind=person&door=api",
        f"{base}?person={someone.pk}",
        f"/orgs/{slug}/people/{someone.pk}/",
        f"/orgs/{slug}/pipelines/{pipeline.pk}/",
    ]
    for url in pages:
        median, queries, _ = timed_get(client, url)
        print(f"{url:60} {median * 1000:7.0f} ms  {queries} queries")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
