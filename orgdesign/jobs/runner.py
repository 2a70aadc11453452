"""Background jobs: long work (a scenario copy or promotion, a fix tried on a large design,
a people sync sent with `"async": true`, a roster of more than a few thousand rows) done by
a worker process, `manage.py db_worker`, with its progress on a `Job` row that the job
pages poll.

The queue is django-tasks with its database backend: no other service, on SQLite and
PostgreSQL alike, and several workers can share one PostgreSQL (each claims a task under a
row lock). The work of a job is one transaction (a copy, a tried fix and a promotion also
one snapshot: `orgdesign.scenarios.snapshot`), so a job that fails leaves nothing written and shows
why: a refusal its reasons, anything else a sentence (the exception goes to the log, not to
the page). Progress is written through a connection of its own, so the page sees it while
the work's transaction is still open; SQLite allows one writer at a time, so there the page
only sees queued, running, then done or failed.

Jobs survive their worker. A graceful stop (SIGTERM) lets the job finish first (db_worker's
own). A worker that dies (killed when out of memory, or by a deploy past its grace period)
leaves its job `running` with nothing written, since the transaction dies with its
connection. So while a job runs, a thread of the worker writes `Job.heartbeat_at` every
`ORGDESIGN_JOB_HEARTBEAT` seconds through a connection of its own (on SQLite, whenever no
write holds the database; while one does, no sweep can write either), and a running job
with no heartbeat for `ORGDESIGN_JOB_STALE` seconds lost its worker:
`sweep_jobs` queues it again (`run_job` anew for the same job; the django-tasks result of the
dead run, stuck RUNNING, is marked failed), counting `Job.attempts`, or after
`ORGDESIGN_JOB_ATTEMPTS` attempts marks it failed with a sentence. Every job is one
transaction, so every one is safe to run again. Who sweeps: each live worker's heartbeat
thread (every stale job), and a `watch_job` task queued when a job starts, which any worker,
even one started after the death, runs every half `ORGDESIGN_JOB_STALE` while the job runs.
A run claims its job (`queued` to `running`, one attempt more) before working, so a job runs
once per queueing however many tasks name it; and before committing it checks that the job
is still its own (the same attempt, still running), so a run taken for dead that was only
slow writes nothing. The three numbers are settings (defaults 5 s, 30 s and 3 attempts).
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus

from orgdesign.jobs.models import Job, JobKind, JobState
from orgdesign.scenarios.snapshot import in_snapshot
from teams.actor import Actor
from teams.models import ApiToken, Door, Organisation, ScenarioMerge, SnapshotKind

logger = logging.getLogger(__name__)

# What a failed job says when the work raised something else than a refusal (logged).
FAILED = ("The job failed and nothing was written; try again, or tell your administrator if "
          "it fails again.")
# What a job says when its worker stopped once too often.
WORKER_LOST = ("The job failed and nothing was written: the worker doing it stopped "
               "{attempts} times, so it was not tried again. Try again, or tell your "
               "administrator if it fails again.")
# A job running before heartbeats were written has none: it is taken for lost only after this.
NO_HEARTBEAT = datetime.timedelta(hours=1)


def heartbeat_seconds() -> float:
    """How often a worker writes the heartbeat of the job it runs."""
    return settings.ORGDESIGN_JOB_HEARTBEAT


def stale_seconds() -> float:
    """How long without a heartbeat before a running job is taken for lost."""
    return settings.ORGDESIGN_JOB_STALE


def max_attempts() -> int:
    """Runs of a job whose worker stopped before it is failed rather than queued again."""
    return settings.ORGDESIGN_JOB_ATTEMPTS


def job_start(
    *, organisation: Organisation, kind: str, params: dict, actor: Actor
) -> Job:
    """Record a job and queue it for a worker, in the caller's transaction."""
    job = Job.objects.create(
        organisation=organisation,
        kind=kind,
        # A job on a private scenario, or making one, is as private as its result
        # (orgdesign.access.policy.job_visible).
        params={"private": organisation.private, **params, "via": actor.via},
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
        # In a caller's transaction (a test's) another connection would not see the job.
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # A connection of its own, outside the work's transaction, so pages see it now.
            self.side = connections.create_connection("default")

    def __call__(self, done: int, total: int) -> None:
        if self.side is None:
            return
        # Raw SQL because the ORM has no connection outside the settings' aliases; the table is
        # this app's own.
        table = self.side.ops.quote_name(Job._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET done = %s, total = %s WHERE id = %s",  # noqa: S608
                [done, total, self.job_id],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _actor(job: Job) -> Actor:
    token = ApiToken.objects.filter(pk=job.created_by_token_id).first()
    return Actor(via=job.params.get("via", Door.SYSTEM), user=job.created_by, token=token)


def _copy(job: Job, progress: Callable[[int, int], None]) -> dict:
    from orgdesign.scenarios.services import scenario_create
    from orgdesign.scenarios.undo import undo_create

    if "undo" in job.params:
        # The undo of a merge: a copy with the merge's objects put back as they were.
        merge = ScenarioMerge.objects.filter(pk=job.params["undo"],
                                             organisation=job.organisation).first()
        if merge is None:
            raise JobRefused("That merge can no longer be undone: the design was replaced "
                             "by a promotion since, or deleted.", {})
        scenario = undo_create(merge=merge, creator=job.created_by, actor=_actor(job),
                               progress=progress)
        return {"scenario": scenario.slug, "name": scenario.name}
    scenario = scenario_create(
        origin=job.organisation,
        name=job.params.get("name", ""),
        creator=job.created_by,
        private=job.params.get("private", False),
        actor=_actor(job),
        progress=progress,
    )
    return {"scenario": scenario.slug, "name": scenario.name}


def _promote(job: Job, progress: Callable[[int, int], None]) -> dict:
    from orgdesign.scenarios.services import scenario_promote

    scenario = Organisation.objects.get(
        pk=job.params["scenario"], scenario_of=job.organisation
    )
    backup = scenario_promote(
        scenario=scenario, creator=job.created_by, actor=_actor(job), progress=progress
    )
    _snapshot(job, SnapshotKind.PROMOTION, f"Promoted {scenario.name}")
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
    from orgdesign.csvio.format import sheet_chosen
    from orgdesign.csvio.pending import discard_upload, load_upload
    from teams.roster_import import ChangedSincePreview, apply_roster, parse_roster

    data = load_upload(job.organisation, job.params["sha"])
    if data is None:
        raise JobRefused("The uploaded file is gone: upload it again.", {})
    # Read as the preview read it: the sheet of a workbook, and the mapping, key and team
    # creation the user chose.
    with sheet_chosen(job.params.get("sheet")):
        roster = parse_roster(data, organisation=job.organisation,
                              **job.params.get("options", {}))
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
    from orgdesign.scenarios.try_fix import try_all_fixes, try_remedy

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


def _pull(job: Job, progress: Callable[[int, int], None]) -> dict:
    from teams.directory.pull import pull_connector
    from teams.models import DirectoryConnector, RunState

    connector = DirectoryConnector.objects.filter(
        pk=job.params["connector"], organisation=job.organisation).first()
    if connector is None:
        raise JobRefused("The connector is gone.", {})
    run = pull_connector(connector=connector, preview=job.params.get("preview", False),
                         trigger="page", user=job.created_by, progress=progress, job=job)
    result = {"run": str(run.uid), "preview": run.preview, **run.counts}
    if run.state == RunState.FAILED:
        raise JobRefused(run.error, result)
    return result


def _merge(job: Job, progress: Callable[[int, int], None]) -> dict:
    from orgdesign.scenarios.merge import scenario_merge

    scenario = Organisation.objects.filter(pk=job.params["scenario"],
                                           scenario_of=job.organisation).first()
    if scenario is None:
        raise JobRefused("The scenario is gone.", {})
    try:
        result = scenario_merge(scenario=scenario, keys=job.params.get("changes"),
                                resolutions=job.params.get("resolutions") or {},
                                user=job.created_by, actor=_actor(job))
    except ValidationError as refusal:
        # A conflict or a missing approval since the request, or a service refusing one
        # of the changes (a loop): nothing was merged.
        raise JobRefused("Nothing was merged: " + " ".join(refusal.messages), {}) from None
    _snapshot(job, SnapshotKind.MERGE, f"Merged {scenario.name}")
    return result


def _snapshot(job: Job, kind: str, note: str) -> None:
    """The design's health just after a promotion or merge, marked on the health page's
    time axis. The design is written by then: a snapshot that fails is logged, not the
    job's failure."""
    from orgdesign.health.services import snapshot_event

    try:
        snapshot_event(Organisation.objects.get(pk=job.organisation_id), kind=kind, note=note)
    except Exception:
        logger.exception("The health snapshot after job %s failed", job.uid)


RUNNERS: dict[str, Callable[[Job, Callable[[int, int], None]], dict]] = {
    JobKind.SCENARIO_COPY: _copy,
    JobKind.SCENARIO_PROMOTE: _promote,
    JobKind.PEOPLE_SYNC: _sync,
    JobKind.PEOPLE_IMPORT: _import,
    JobKind.SCENARIO_FIX: _fix,
    JobKind.DIRECTORY_PULL: _pull,
    JobKind.SCENARIO_MERGE: _merge,
}


class JobRefused(Exception):
    """The work was refused as a whole; `result` says why, record by record."""

    def __init__(self, message: str, result: dict):
        super().__init__(message)
        self.result = result


class JobLost(Exception):
    """The job was taken for lost and queued again (or failed) while this run worked."""


# The kinds whose work reads a whole design: one snapshot (orgdesign.scenarios.snapshot).
SNAPSHOT_KINDS = frozenset({JobKind.SCENARIO_COPY, JobKind.SCENARIO_PROMOTE,
                            JobKind.SCENARIO_FIX, JobKind.SCENARIO_MERGE})
# The kinds that keep a record of their own whether they succeed or fail (a directory run:
# fetching, then one transaction of its own), so they run outside the job's transaction.
OWN_TRANSACTION_KINDS = frozenset({JobKind.DIRECTORY_PULL})


@task()
def run_job(job_id: int) -> None:
    attempt = _claim(job_id)
    if attempt is None:
        return  # done, failed, or being run by another task: nothing to do
    kind = Job.objects.values_list("kind", flat=True).get(pk=job_id)
    watch_later(job_id, attempt)
    # A worker's own transaction, or a caller's (a test's), which no other connection sees.
    own = not connection.in_atomic_block
    progress = Progress(job_id)
    heartbeat = Heartbeat(job_id, attempt) if own else None
    try:
        result = _work(job_id, attempt, kind, progress)
    except JobLost:
        logger.warning("Job %s (%s) was queued again while attempt %s ran; it wrote nothing",
                       job_id, kind, attempt)
        raise  # this task did not do the job: its result says so (failed)
    except JobRefused as refusal:
        _finish(job_id, attempt, state=JobState.FAILED, error=str(refusal),
                result=refusal.result)
    except Exception:
        logger.exception("Job %s (%s) failed", job_id, kind)
        _finish(job_id, attempt, state=JobState.FAILED, error=FAILED)
    else:
        total = Job.objects.filter(pk=job_id).values_list("total", flat=True).first() or 1
        _finish(job_id, attempt, state=JobState.DONE, result=result, done=total, total=total)
    finally:
        progress.close()
        if heartbeat is not None:
            heartbeat.stop()


def _claim(job_id: int) -> int | None:
    """Take a queued job (one attempt more, its heartbeat now); its attempt, or None when it
    is not queued."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, attempts=F("attempts") + 1, heartbeat_at=now,
        updated_at=now,
    )
    if not claimed:
        return None
    return Job.objects.values_list("attempts", flat=True).get(pk=job_id)


def _work(job_id: int, attempt: int, kind: str, progress: Progress) -> dict:
    """The job's work in one transaction (one snapshot for the kinds that copy a design),
    which commits only if the job is still this run's."""

    def work() -> dict:
        job = Job.objects.select_related("organisation", "created_by").get(pk=job_id)
        result = RUNNERS[job.kind](job, progress)
        _hold(job_id, attempt, progress.side)
        return result

    if kind in SNAPSHOT_KINDS:
        return in_snapshot(work)
    if kind in OWN_TRANSACTION_KINDS:
        return work()
    with transaction.atomic():
        return work()


def _hold(job_id: int, attempt: int, side) -> None:
    """Renew the heartbeat of the job, which must still be this run's, just before the work
    commits: a sweep then cannot take it for lost before the run says it is done. Through
    `side` (PostgreSQL): the work's snapshot would not see a sweep, and writing the job's
    row in it would conflict with the heartbeats. Without it (SQLite, which serialises
    writers, or a caller's transaction), in the work's own transaction."""
    now = timezone.now()
    if side is None:
        held = Job.objects.filter(pk=job_id, state=JobState.RUNNING, attempts=attempt).update(
            heartbeat_at=now)
    else:
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Job._meta.db_table} SET heartbeat_at = %s "
                "WHERE id = %s AND state = %s AND attempts = %s",
                [now, job_id, JobState.RUNNING, attempt],
            )
            held = cursor.rowcount
    if not held:
        raise JobLost(job_id)


def _finish(job_id: int, attempt: int, **fields) -> None:
    """The job's end, unless it was queued again meanwhile (then the next run's)."""
    Job.objects.filter(pk=job_id, state=JobState.RUNNING, attempts=attempt).update(
        heartbeat_at=None, updated_at=timezone.now(), **fields)


class Heartbeat:
    """A thread writing the heartbeat of a running job every `heartbeat_seconds()`, through
    its own connection, and sweeping for jobs that lost theirs, until `stop()`."""

    def __init__(self, job_id: int, attempt: int):
        self.job_id, self.attempt = job_id, attempt
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}",
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        try:
            while not self.stopped.wait(heartbeat_seconds()):
                try:
                    Job.objects.filter(
                        pk=self.job_id, state=JobState.RUNNING, attempts=self.attempt
                    ).update(heartbeat_at=timezone.now())
                    sweep_jobs()
                except DatabaseError as error:
                    # SQLite locked by the work's write, or the database gone a moment: the
                    # next beat tries again, on a new connection.
                    logger.info("Heartbeat of job %s missed: %s", self.job_id, error)
                    connection.close()
        finally:
            connection.close()  # this thread's own


def _stale(cutoff: datetime.datetime) -> Q:
    return Q(heartbeat_at__lt=cutoff) | Q(
        heartbeat_at__isnull=True, updated_at__lt=cutoff - NO_HEARTBEAT
    )


def sweep_jobs(*, job_ids: list[int] | None = None) -> list[int]:
    """Queue again (or fail, after `max_attempts()`) the running jobs whose worker stopped
    writing their heartbeat `stale_seconds()` ago; the ones it did. Two queries when none
    did, a few more for each that did."""
    cutoff = timezone.now() - datetime.timedelta(seconds=stale_seconds())
    stale = Job.objects.filter(_stale(cutoff), state=JobState.RUNNING)
    if job_ids is not None:
        stale = stale.filter(pk__in=job_ids)
    return [
        job_id
        for job_id, attempts in stale.values_list("pk", "attempts")
        if _recover(job_id, attempts, cutoff)
    ]


def _recover(job_id: int, attempts: int, cutoff: datetime.datetime) -> bool:
    now = timezone.now()
    with transaction.atomic():
        # Only if nobody beat, swept or finished it since it was read.
        still = Job.objects.filter(_stale(cutoff), pk=job_id, state=JobState.RUNNING,
                                   attempts=attempts)
        if attempts >= max_attempts():
            changed = still.update(state=JobState.FAILED, heartbeat_at=None, updated_at=now,
                                   error=WORKER_LOST.format(attempts=attempts))
        else:
            changed = still.update(state=JobState.QUEUED, heartbeat_at=None, updated_at=now,
                                   done=0, total=0)
            if changed:
                run_job.enqueue(job_id)
        if changed:
            _retire_tasks(job_id)
    if changed:
        logger.warning("Job %s lost its worker during attempt %s: %s", job_id, attempts,
                       "failed" if attempts >= max_attempts() else "queued again")
    return bool(changed)


def _retire_tasks(job_id: int) -> None:
    """Mark failed the django-tasks results of the job's dead runs, stuck RUNNING."""
    from django_tasks_db.models import DBTaskResult

    running = DBTaskResult.objects.filter(
        task_path=run_job.module_path, status=TaskResultStatus.RUNNING
    ).values_list("pk", "args_kwargs")
    dead = [pk for pk, arguments in running if arguments.get("args") == [job_id]]
    DBTaskResult.objects.filter(pk__in=dead, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=f"{__name__}.{JobLost.__qualname__}",
        traceback="The worker running this task stopped writing its job's heartbeat; "
                  "orgdesign.jobs.runner.sweep_jobs queued the job again or failed it.",
    )


def watch_later(job_id: int, attempt: int) -> None:
    """Queue `watch_job` for half `stale_seconds()` from now."""
    later = timezone.now() + datetime.timedelta(seconds=stale_seconds() / 2)
    watch_job.using(run_after=later).enqueue(job_id, attempt)


@task(priority=10)
def watch_job(job_id: int, attempt: int) -> None:
    """Sweep one job, and watch it again while the same attempt runs: a worker started after
    the one running it died notices it so, with nothing else to run."""
    sweep_jobs(job_ids=[job_id])
    if Job.objects.filter(pk=job_id, state=JobState.RUNNING, attempts=attempt).exists():
        watch_later(job_id, attempt)


def job_as_read(job: Job) -> Job:
    """The job as its page and the API show it: a running one whose worker stopped is swept
    first (the watch task would within half the stale time; a reader need not wait)."""
    if job.state == JobState.RUNNING and sweep_jobs(job_ids=[job.pk]):
        job.refresh_from_db()
    return job


def job_note(job: Job) -> str | None:
    """What happened to the job's workers, if anything did: for its page and the API."""
    if job.state == JobState.QUEUED and job.attempts:
        return f"The worker stopped; the job was queued again (attempt {job.attempts + 1})."
    if job.attempts > 1:
        return f"The worker stopped; the job was queued again (attempt {job.attempts})."
    return None
