"""The health figures of `make bench` (issue 31), each beside its floor in the same run:

- `health_backfill`: a design's first daily snapshot, which back-fills its last 90 days from
  history (once; not a budget of the issue, measured so that a newcomer knows what the first
  run of `run_schedule` costs);
- `health_snapshot`: the daily snapshot of a design whose analysis is not kept (the scheduler
  is a process of its own): the design loaded, judged and its figures recorded;
- `health_page`: the health page, warm, with 90 days of snapshots;
- `as_of_matrix`: the matrix page as of 60 days ago, cold (the design read back from its
  history, judged and drawn).

The design is given a past first: an entry of its addition for every row (as if it had
been built through the services), a hundred people retitled, and that history moved 100 and
50 days back. The floors: the design's six reads (snapshot), the page's own statements sent
again with psycopg (page), the statements of reading the design back (as of).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from django.db.models import F
from django.utils import timezone

from orgdesign.analysis.kept import forget_all
from orgdesign.analysis.loader import load_as_of, load_org_data
from orgdesign.health.services import snapshot_daily
from orgdesign.history.services import KINDS
from pipelines.models import Engagement, Pipeline, Position
from teams import history, services
from teams.models import HealthSnapshot, Membership, Organisation, Person, Team

DAY = datetime.timedelta(days=1)
RETITLED = 100


def _age(organisation: Organisation, delta: datetime.timedelta) -> None:
    for model in KINDS.values():
        model.history.filter(history_org=organisation.pk).update(
            history_date=F("history_date") - delta)
    Organisation.objects.filter(pk=organisation.pk).update(created_at=F("created_at") - delta)


def give_a_past(organisation: Organisation) -> None:
    for model, rows in ((Person, Person.objects.filter(organisation=organisation)),
                        (Team, Team.objects.filter(organisation=organisation)),
                        (Membership, Membership.objects.filter(team__organisation=organisation)),
                        (Pipeline, Pipeline.objects.filter(organisation=organisation)),
                        (Engagement, Engagement.objects.filter(
                            pipeline__organisation=organisation)),
                        (Position, Position.objects.filter(organisation=organisation))):
        history.record_ids(model, list(rows.values_list("pk", flat=True)), history.ADDED,
                           organisation_id=organisation.pk)
    _age(organisation, 50 * DAY)
    for person in Person.objects.filter(organisation=organisation).order_by("id")[:RETITLED]:
        services.person_update(person=person, title=f"{person.title} (retitled)")
    _age(organisation, 50 * DAY)


def health_figures(organisation: Organisation, viewer, figure: Callable, timed: Callable,
                   timed_after: Callable, captured_floor: Callable, get: Callable,
                   design_floor: float) -> dict:
    figures = {}
    give_a_past(organisation)
    organisation = Organisation.objects.get(pk=organisation.pk)
    HealthSnapshot.objects.filter(organisation=organisation).delete()

    forget_all()
    started = time.perf_counter()
    taken = snapshot_daily(organisation)
    figures["health_backfill"] = figure([(time.perf_counter() - started) * 1000], None,
                                        design_floor, backfilled=taken.backfilled)
    print("health_backfill", figures["health_backfill"], flush=True)

    def fresh_snapshot():
        HealthSnapshot.objects.filter(organisation=organisation, pk=taken.snapshot.pk).delete()
        forget_all()

    def snapshot():
        made = snapshot_daily(Organisation.objects.get(pk=organisation.pk))
        taken.snapshot = made.snapshot
        assert made.created and not made.backfilled

    figures["health_snapshot"] = figure(*timed_after(fresh_snapshot, snapshot), design_floor)
    print("health_snapshot", figures["health_snapshot"], flush=True)

    url = f"/orgs/{organisation.slug}/health/"
    page = get(viewer, url)
    page()
    figures["health_page"] = figure(*timed(page), captured_floor(page),
                                    snapshots=HealthSnapshot.objects.filter(
                                        organisation=organisation).count())
    print("health_page", figures["health_page"], flush=True)

    then = timezone.now() - 60 * DAY
    as_of = get(viewer, f"/orgs/{organisation.slug}/?as_of={then:%Y-%m-%d}")
    floor = captured_floor(lambda: load_as_of(organisation, then))
    figures["as_of_matrix"] = figure(*timed_after(forget_all, as_of), floor,
                                     live_floor_ms=round(captured_floor(
                                         lambda: load_org_data(organisation)), 2))
    print("as_of_matrix", figures["as_of_matrix"], flush=True)
    return figures

