"""Snapshots of a design's health (`orgdesign.analysis.health`), kept as
`teams.models.HealthSnapshot` rows.

A daily snapshot records the design as it was at 00:00 UTC: the kept analysis when nothing
was recorded since that midnight (the usual case, a run of `run_schedule` just after it),
otherwise the design read back from history at that moment. A back-fill reads each past
midnight the same way, so it records what the daily snapshots would have; a day after which
nothing was recorded repeats the day before's figures instead of judging the same design
again. Promotions and merges record the design just after them, at their moment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from orgdesign.analysis.health import health_of
from orgdesign.analysis.kept import Analysis, analysis_as_of, analysis_of
from orgdesign.history.services import recorded_days, recorded_since
from teams.models import HealthSnapshot, Organisation, SnapshotKind

# How far back a design without snapshots is back-filled, and how far the health page looks.
DAYS = 90
DAY = datetime.timedelta(days=1)


def midnight(moment: datetime.datetime) -> datetime.datetime:
    """00:00 UTC of `moment`'s day (UTC)."""
    day = moment.astimezone(datetime.UTC).date()
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


def figures_of(analysis: Analysis) -> dict:
    return health_of(analysis.index, analysis.findings, analysis.structure,
                     analysis.capacity).as_dict()


def design_at(organisation: Organisation, moment: datetime.datetime) -> Analysis | None:
    """The analysis of the design as it was at `moment` (None before it existed): the kept one
    when nothing was recorded since, else read back from history."""
    if moment < organisation.created_at:
        return None
    if not recorded_since(organisation, moment):
        return analysis_of(organisation)
    return analysis_as_of(organisation, moment)


@dataclass
class Taken:
    """What a daily run did for one design."""

    snapshot: HealthSnapshot | None  # today's (None: the design is younger than midnight)
    created: bool
    backfilled: int  # past days recorded from history


def snapshot_daily(organisation: Organisation, *,
                   now: datetime.datetime | None = None) -> Taken:
    """Today's 00:00 UTC snapshot of a design, once: a second run finds it and records
    nothing. A design with no daily snapshot yet first gets its past back-filled."""
    at = midnight(now or timezone.now())
    if at < organisation.created_at:
        return Taken(None, False, 0)
    found = HealthSnapshot.objects.filter(organisation=organisation, kind=SnapshotKind.DAILY,
                                          at=at).first()
    if found is not None:
        return Taken(found, False, 0)
    backfilled = 0
    if not HealthSnapshot.objects.filter(organisation=organisation,
                                         kind=SnapshotKind.DAILY).exists():
        backfilled = backfill(organisation, until=at)
    analysis = design_at(organisation, at)
    if analysis is None:
        return Taken(None, False, backfilled)
    try:
        with transaction.atomic():
            snapshot = HealthSnapshot.objects.create(
                organisation=organisation, at=at, kind=SnapshotKind.DAILY,
                figures=figures_of(analysis))
    except IntegrityError:
        # Another run (the scheduler and cron both) recorded it meanwhile: theirs stands.
        return Taken(HealthSnapshot.objects.get(organisation=organisation,
                                                kind=SnapshotKind.DAILY, at=at), False,
                     backfilled)
    return Taken(snapshot, True, backfilled)


def snapshot_event(organisation: Organisation, *, kind: str, note: str) -> HealthSnapshot:
    """The design's health just after a promotion or merge (`kind`), with its words."""
    return HealthSnapshot.objects.create(
        organisation=organisation, at=timezone.now(), kind=kind, note=note[:300],
        figures=figures_of(analysis_of(organisation)))


def backfill(organisation: Organisation, *, until: datetime.datetime,
             days: int = DAYS) -> int:
    """Daily snapshots read back from history for each midnight of the last `days` before
    `until` (a midnight, left out) that the design lived through and that has none yet.
    Returns how many were recorded."""
    start = max(until - days * DAY, midnight(organisation.created_at) + DAY)
    have = set(HealthSnapshot.objects.filter(
        organisation=organisation, kind=SnapshotKind.DAILY, at__gte=start, at__lt=until,
    ).values_list("at", flat=True))
    changed = recorded_days(organisation, start - DAY, until)
    made, figures, moment = [], None, start
    while moment < until:
        if figures is None or (moment - DAY).date() in changed:
            analysis = analysis_as_of(organisation, moment)
            figures = figures_of(analysis) if analysis is not None else None
        if figures is not None and moment not in have:
            made.append(HealthSnapshot(organisation=organisation, at=moment,
                                       kind=SnapshotKind.DAILY, backfilled=True,
                                       figures=figures))
        moment += DAY
    HealthSnapshot.objects.bulk_create(made, ignore_conflicts=True)
    return len(made)


def live_designs():
    """The designs snapshots are taken of: the live ones (a scenario is a draft)."""
    return Organisation.objects.filter(home__isnull=True).order_by("slug")


def designs_due(now: datetime.datetime | None = None):
    """The live designs without today's daily snapshot, in one query."""
    at = midnight(now or timezone.now())
    return live_designs().exclude(Exists(HealthSnapshot.objects.filter(
        organisation=OuterRef("pk"), kind=SnapshotKind.DAILY, at=at)))


def trend(organisation: Organisation, *, days: int = DAYS,
          now: datetime.datetime | None = None) -> list[HealthSnapshot]:
    """The snapshots of the last `days`, oldest first: one query."""
    since = (now or timezone.now()) - days * DAY
    return list(HealthSnapshot.objects.filter(organisation=organisation, at__gte=since))


def trends_of(organisations: list[Organisation], *, days: int = DAYS
              ) -> dict[int, list[HealthSnapshot]]:
    """`trend` of several designs (the home page), in one query, daily snapshots only."""
    since = timezone.now() - days * DAY
    found: dict[int, list[HealthSnapshot]] = {organisation.pk: [] for organisation in
                                              organisations}
    for snapshot in HealthSnapshot.objects.filter(
        organisation__in=list(found), kind=SnapshotKind.DAILY, at__gte=since,
    ).only("organisation_id", "at", "figures"):
        found[snapshot.organisation_id].append(snapshot)
    return found
