"""Background jobs: long work (a scenario copy or promotion, a fix tried on a large design,
a people sync sent with `"async": true`, a roster of more than a few thousand rows) done by
a worker process, `manage.py db_worker`, with its progress on a `Job` row that the job
pages poll.

The queue is django-tasks with its database backend: no other service, on SQLite and
PostgreSQL alike, and several workers can share one PostgreSQL (each claims a task under a
row lock). The work of a job is one transaction, so a job that fails leaves nothing written
and shows its error. Progress is written through a connection of its own, so the page sees it
while the work's transaction is still open; SQLite allows one writer at a time, so there the
page only sees queued, running, then done or failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection, connections
from django_tasks import task

from teams.actor import Actor
from teams.models import ApiToken, Door, Job, JobKind, JobState, Organisation

logger = logging.getLogger(__name__)


def job_start(
    *, organisation: Organisation, kind: str, params: dict, actor: Actor
) -> Job:
    """Record a job and queue it for a worker, in the caller's transaction."""
    job = Job.objects.create(
        organisation=organisation,
        kind=kind,
        params={**params, "via": actor.via},
        created_by=actor.user if getattr(actor.user, "pk", None) else None,
        created_by_token=actor.token,
    )
    run_job.enqueue(job.pk)
    return job


class Progress:
    """Tells the job's row how far the work got: `progress(done, total)`."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.side = None
        if connection.vendor == "postgresql":
            # A connection of its own, outside the work's transaction, so pages see it now.
            self.side = connections.create_connection("default")

    def __call__(self, done: int, total: int) -> None:
        if self.side is None:
            return
        with self.side.cursor() as cursor:
            cursor.execute(
                "UPDATE teams_job SET done = %s, total = %s WHERE id = %s",
                [done, total, self.job_id],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _actor(job: Job) -> Actor:
    token = ApiToken.objects.filter(pk=job.created_by_token_id).first()
    return Actor(via=job.params.get("via", Door.SYSTEM), user=job.created_by, token=token)


def _copy(job: Job, progress: Callable[[int, int], None]) -> dict:
    from orgdesign.scenarios import scenario_create

    scenario = scenario_create(
        origin=job.organisation,
        name=job.params.get("name", ""),
        creator=job.created_by,
        actor=_actor(job),
        progress=progress,
    )
    return {"scenario": scenario.slug, "name": scenario.name}


def _promote(job: Job, progress: Callable[[int, int], None]) -> dict:
    from orgdesign.scenarios import scenario_promote

    scenario = Organisation.objects.get(
        pk=job.params["scenario"], scenario_of=job.organisation
    )
    backup = scenario_promote(
        scenario=scenario, creator=job.created_by, actor=_actor(job), progress=progress
    )
    return {"promoted": scenario.slug, "backup": backup.slug}


def _sync(job: Job, progress: Callable[[int, int], None]) -> dict:
    from teams.sync import sync_people

    result = sync_people(
        organisation=job.organisation,
        records=job.params["people"],
        mode=job.params.get("mode", "delta"),
        dry_run=job.params.get("dry_run", False),
        actor=_actor(job),
    )
    if result.errors:
        # Refused, all or nothing: the job failed, with every bad record in its result.
        raise JobRefused("Nothing was written: some records were refused.", result.as_dict())
    return result.as_dict()


def _import(job: Job, progress: Callable[[int, int], None]) -> dict:
    from orgdesign.uploads import discard_upload, load_upload
    from teams.roster_import import ChangedSincePreview, apply_roster, parse_roster

    data = load_upload(job.organisation, job.params["sha"])
    if data is None:
        raise JobRefused("The uploaded file is gone: upload it again.", {})
    roster = parse_roster(data)
    if roster.problems:
        raise JobRefused("The file can no longer be read: upload it again.", {})
    try:
        result = apply_roster(
            organisation=job.organisation,
            roster=roster,
            mode=job.params.get("mode", "delta"),
            fingerprint=job.params["changes"],
            actor=_actor(job),
        )
    except ChangedSincePreview:
        raise JobRefused(
            "The people changed since your preview, so nothing was imported: upload the "
            "file again for a fresh preview.",
            {},
        ) from None
    if result.errors:
        raise JobRefused("Nothing was written: some rows were refused.", result.as_dict())
    discard_upload(job.organisation, job.params["sha"])
    return result.as_dict()


def _fix(job: Job, progress: Callable[[int, int], None]) -> dict:
    from orgdesign.try_fix import try_all_fixes, try_remedy

    options = {"organisation": job.organisation, "creator": job.created_by,
               "actor": _actor(job), "progress": progress}
    try:
        if job.params.get("all"):
            tried = try_all_fixes(**options)
        else:
            tried = try_remedy(key=job.params["finding"], rank=job.params.get("rank", 1),
                               summary=job.params.get("summary"), **options)
    except ValidationError as refusal:
        # The finding gone, the remedies changed, or a service refusing a change of the copy.
        raise JobRefused(" ".join(refusal.messages), {}) from None
    return tried.as_dict()


RUNNERS: dict[str, Callable[[Job, Callable[[int, int], None]], dict]] = {
    JobKind.SCENARIO_COPY: _copy,
    JobKind.SCENARIO_PROMOTE: _promote,
    JobKind.PEOPLE_SYNC: _sync,
    JobKind.PEOPLE_IMPORT: _import,
    JobKind.SCENARIO_FIX: _fix,
}


class JobRefused(Exception):
    """The work was refused as a whole; `result` says why, record by record."""

    def __init__(self, message: str, result: dict):
        super().__init__(message)
        self.result = result


@task()
def run_job(job_id: int) -> None:
    job = Job.objects.select_related("organisation", "created_by").get(pk=job_id)
    Job.objects.filter(pk=job_id).update(state=JobState.RUNNING)
    progress = Progress(job_id)
    try:
        result = RUNNERS[job.kind](job, progress)
    except JobRefused as refusal:
        Job.objects.filter(pk=job_id).update(
            state=JobState.FAILED, error=str(refusal), result=refusal.result
        )
    except Exception as error:
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        Job.objects.filter(pk=job_id).update(
            state=JobState.FAILED, error=f"{error.__class__.__name__}: {error}"
        )
    else:
        total = Job.objects.filter(pk=job_id).values_list("total", flat=True).first() or 1
        Job.objects.filter(pk=job_id).update(
            state=JobState.DONE, result=result, done=total, total=total
        )
    finally:
        progress.close()
