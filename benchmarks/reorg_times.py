"""Time a reviewed re-org on a generated organisation (issue 30): the copy (with its base),
the change list after a hundred changes, a rebase taking in a hundred live changes, the
merge of the hundred changes, then its undo made on request and merged back. Makes its own
organisation of `people` (default 50,000, size L) and deletes what it made.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/reorg_times.py 50000
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from orgdesign.scenarios.base import changes_of  # noqa: E402
from orgdesign.scenarios.merge import scenario_merge, scenario_rebase  # noqa: E402
from orgdesign.scenarios.services import design_delete, scenario_create  # noqa: E402
from orgdesign.scenarios.undo import undo_create  # noqa: E402
from pipelines.generator import generate_org  # noqa: E402
from teams import services  # noqa: E402
from teams.actor import SYSTEM  # noqa: E402
from teams.models import MergeApproval, Organisation, Person, ScenarioMerge  # noqa: E402

CHANGES = 100


def timed(label: str, call):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.2f} s, {len(queries)} queries", flush=True)
    return result


def titles(organisation: Organisation, word: str, skip: int = 0) -> None:
    people = Person.objects.filter(organisation=organisation).order_by("id")[
        skip:skip + CHANGES]
    for person in people:
        services.person_update(person=person, title=f"{word} {person.pk}")


def main(people: int) -> None:
    slug = f"reorg-{people}"
    for old in Organisation.objects.filter(slug__startswith=slug):
        design_delete(old)
    origin = services.organisation_create(slug=slug, name="make bench reorg")
    origin.merge_approval = MergeApproval.NEVER
    origin.save()
    generate_org(origin, people=people, teams=max(20, people // 125),
                 pipelines=max(20, people // 50), seed=7)
    made = [origin]
    try:
        scenario = timed("copy (with its base)", lambda: scenario_create(
            origin=origin, name="Reorg"))
        made.append(scenario)
        titles(scenario, "Scenario")
        changes = timed(f"change list ({CHANGES} changes)", lambda: changes_of(scenario))
        assert len(changes) == CHANGES, len(changes)
        titles(origin, "Live", skip=CHANGES)  # other people than the scenario's
        rebased = timed(f"rebase ({CHANGES} live changes)",
                        lambda: scenario_rebase(scenario=scenario, actor=SYSTEM))
        assert rebased["taken"] == CHANGES, rebased
        result = timed(f"merge of {CHANGES} changes",
                       lambda: scenario_merge(scenario=scenario, actor=SYSTEM))
        assert result["changes"] == CHANGES, result
        undo = timed("its undo made (on request)", lambda: undo_create(
            merge=ScenarioMerge.objects.get(pk=result["merge"])))
        made.append(undo)
        undone = timed(f"the undo merged back ({CHANGES} changes)",
                       lambda: scenario_merge(scenario=undo, actor=SYSTEM))
        assert undone["changes"] == CHANGES, undone
    finally:
        for organisation in reversed(made):
            design_delete(organisation)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
