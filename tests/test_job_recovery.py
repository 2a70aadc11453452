"""Jobs survive their worker (orgdesign.jobs.runner): a job whose worker died is queued again and
done by another, or failed with a sentence after too many attempts; a job that fails says so
in a sentence, not with an exception's name; a real worker killed mid-job is replaced.
"""

import datetime
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

import orgdesign.jobs.runner as jobs
import orgdesign.scenarios.services as scenarios_module
from orgdesign.jobs.models import Job
from orgdesign.jobs.runner import FAILED, job_start, run_job, sweep_jobs
from pipelines.generator import generate_org
from teams.actor import SYSTEM
from teams.models import Organisation, Person
from tests.api_helpers import api_url, token_client
from tests.factories import OrganisationFactory, client_for
from tests.servers import BASE_DIR, _database_url, needs_postgresql
from tests.worker import run_worker


def copy_job(origin: Organisation, name: str = "Rescued") -> Job:
    return job_start(organisation=origin, kind="scenario_copy", params={"name": name},
                     actor=SYSTEM)


def tasks_of(job: Job) -> list[str]:
    """The statuses of the run_job tasks of `job`, oldest first."""
    return [
        status for status, arguments in DBTaskResult.objects.filter(
            task_path=run_job.module_path).order_by("enqueued_at").values_list(
            "status", "args_kwargs")
        if arguments["args"] == [job.pk]
    ]


def died_running(job: Job, *, attempts: int = 1, silent_for: float = 60) -> None:
    """The job as a worker that died running it leaves it: claimed (its task RUNNING, the
    job running), its heartbeat stopped `silent_for` seconds ago."""
    DBTaskResult.objects.filter(task_path=run_job.module_path, status="READY").update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now())
    Job.objects.filter(pk=job.pk).update(
        state="running", attempts=attempts, done=2, total=6,
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=silent_for))


def copies_of(origin: Organisation) -> list[str]:
    return list(Organisation.objects.filter(scenario_of=origin).values_list("name", flat=True))


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_queued_again_and_done_by_the_next(demo):
    job = copy_job(demo)
    died_running(job)
    reader = token_client(demo, "read")
    admin = client_for(demo, "admin")

    assert sweep_jobs() == [job.pk]

    job.refresh_from_db()
    assert (job.state, job.attempts, job.done, job.heartbeat_at) == ("queued", 1, 0, None)
    # The dead run's task can never run again; a new one is queued.
    assert tasks_of(job) == ["FAILED", "READY"]
    state = reader.get(api_url(demo, f"jobs/{job.uid}/")).json()
    assert (state["state"], state["attempts"]) == ("queued", 1)
    assert state["note"] == "The worker stopped; the job was queued again (attempt 2)."
    assert state["note"] in admin.get(f"/orgs/demo/jobs/{job.uid}/").content.decode()

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 2)
    assert copies_of(demo) == ["Rescued"]
    state = reader.get(api_url(demo, f"jobs/{job.uid}/")).json()
    assert state["note"] == "The worker stopped; the job was queued again (attempt 2)."
    assert tasks_of(job) == ["FAILED", "SUCCESSFUL"]


@pytest.mark.django_db
@pytest.mark.parametrize("door", ["page", "api"])
def test_reading_a_job_whose_worker_died_queues_it_again_at_once(demo, door):
    job = copy_job(demo)
    died_running(job)

    if door == "api":
        state = token_client(demo, "read").get(api_url(demo, f"jobs/{job.uid}/")).json()
        assert (state["state"], state["note"]) == (
            "queued", "The worker stopped; the job was queued again (attempt 2).")
    else:
        page = client_for(demo, "viewer").get(f"/orgs/demo/jobs/{job.uid}/").content.decode()
        assert 'data-job-state="queued"' in page
        assert "queued again (attempt 2)" in page
    assert tasks_of(job) == ["FAILED", "READY"]


@pytest.mark.django_db
def test_a_job_whose_worker_keeps_dying_fails_with_a_sentence(demo, settings):
    settings.ORGDESIGN_JOB_ATTEMPTS = 3
    job = copy_job(demo)
    died_running(job, attempts=3)

    assert sweep_jobs() == [job.pk]

    job.refresh_from_db()
    assert job.state == "failed"
    assert job.error == (
        "The job failed and nothing was written: the worker doing it stopped 3 times, so it "
        "was not tried again. Try again, or tell your administrator if it fails again.")
    assert tasks_of(job) == ["FAILED"]
    page = client_for(demo, "admin").get(f"/orgs/demo/jobs/{job.uid}/").content.decode()
    assert 'data-job-state="failed"' in page
    assert "the worker doing it stopped 3 times" in page
    assert "nothing was written: The job failed" not in page  # said once
    run_worker()
    assert copies_of(demo) == []


@pytest.mark.django_db
def test_a_job_whose_worker_beats_is_left_alone(demo, settings):
    settings.ORGDESIGN_JOB_STALE = 30
    job = copy_job(demo)
    died_running(job, silent_for=10)

    assert sweep_jobs() == []
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("running", 1)


@pytest.mark.django_db
def test_a_job_is_run_once_however_many_tasks_name_it(demo):
    job = copy_job(demo)
    run_job.enqueue(job.pk)  # a second task for the same queueing

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 1)
    assert copies_of(demo) == ["Rescued"]


@pytest.mark.django_db
def test_a_watch_is_queued_for_each_run_and_sweeps_its_job(demo, settings):
    settings.ORGDESIGN_JOB_STALE = 30
    job = copy_job(demo)
    run_worker()
    [(arguments, run_after)] = DBTaskResult.objects.filter(
        task_path=jobs.watch_job.module_path).values_list("args_kwargs", "run_after")
    assert arguments["args"] == [job.pk, 1]
    assert run_after > timezone.now() + datetime.timedelta(seconds=10)  # half the staleness

    other = copy_job(demo, "Other")
    died_running(other)
    jobs.watch_job.call(other.pk, 1)
    other.refresh_from_db()
    assert other.state == "queued"


@pytest.mark.django_db
def test_a_job_that_fails_says_so_in_a_sentence_and_logs_the_error(demo, monkeypatch, caplog):
    def broken_copy(source, target, *, actor, progress):
        Person.objects.create(organisation=target, name="Half written")
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(scenarios_module, "copy_design", broken_copy)
    job = copy_job(demo)

    with caplog.at_level(logging.ERROR, logger="orgdesign.jobs.runner"):
        run_worker()

    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", FAILED)
    assert "RuntimeError: the disk is full" in caplog.text
    assert not Person.objects.filter(name="Half written").exists()
    page = client_for(demo, "admin").get(f"/orgs/demo/jobs/{job.uid}/").content.decode()
    assert FAILED in page
    assert "RuntimeError" not in page


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_run_taken_for_dead_that_was_only_slow_writes_nothing(monkeypatch, settings):
    """A sweep (another process's) queued the job again while a slow run worked: the run
    finds the job no longer its own before committing, and writes nothing."""
    settings.ORGDESIGN_JOB_STALE = 30
    origin = OrganisationFactory(slug="acme")
    job = copy_job(origin, "Once")
    copy = scenarios_module.copy_design

    def slow_copy(source, target, *, actor, progress):
        ids = copy(source, target, actor=actor, progress=progress)
        if Job.objects.get(pk=job.pk).attempts == 1:
            def sweep_elsewhere():
                Job.objects.filter(pk=job.pk).update(
                    heartbeat_at=timezone.now() - datetime.timedelta(minutes=5))
                sweep_jobs()
                connection.close()

            sweeper = threading.Thread(target=sweep_elsewhere)
            sweeper.start()
            sweeper.join()
        return ids

    monkeypatch.setattr(scenarios_module, "copy_design", slow_copy)

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 2)
    assert copies_of(origin) == ["Once"]
    assert tasks_of(job) == ["FAILED", "SUCCESSFUL"]  # the slow run's task did not do it


# A real worker, killed ---------------------------------------------------------------------

def start_worker(log) -> subprocess.Popen:
    """`manage.py db_worker`, as production runs it, with heartbeats and staleness in seconds
    rather than tens of seconds (settings from the environment), so the test takes less than
    a minute."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay",
         "--no-reload", "--verbosity", "2"],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "orgdesign.settings_test",
             "DATABASE_URL": _database_url(), "DJANGO_CONN_MAX_AGE": "0",
             "ORGDESIGN_JOB_HEARTBEAT": "0.5", "ORGDESIGN_JOB_STALE": "4"},
        stdout=log, stderr=subprocess.STDOUT,
    )


def wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"not {what} within {timeout} s")


def job_row(job: Job) -> dict:
    return Job.objects.values("state", "attempts", "done", "total", "heartbeat_at",
                              "updated_at").get(pk=job.pk)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_is_replaced_and_the_job_done_once():
    origin = OrganisationFactory(slug="acme", name="Acme")
    # Large enough that the copy (its people one COPY on PostgreSQL) still runs for a while.
    generate_org(origin, people=12000, teams=200, pipelines=60, seed=5)
    job = copy_job(origin, "Survivor")
    log = open(Path(tempfile.mkdtemp(prefix="orgdesign-worker-")) / "worker.log", "wb")  # noqa: SIM115
    workers = []
    try:
        workers.append(start_worker(log))
        # Killed as the out-of-memory killer would, mid-job (its people written, not yet
        # committed: the copy's later tables, its base or its history still to come), after
        # a heartbeat or two.
        row = wait_for(lambda: (r := job_row(job))["state"] == "running" and r["done"] >= 1
                       and r["heartbeat_at"] > r["updated_at"] and r,
                       "running with a heartbeat")
        assert row["attempts"] == 1 and row["state"] == "running"
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        killed = time.monotonic()
        assert job_row(job)["state"] == "running"  # nothing else knows, yet
        assert copies_of(origin) == []

        workers.append(start_worker(log))
        wait_for(lambda: (r := job_row(job))["attempts"] == 2 and r["state"] == "running",
                 "running again")
        queued_again = time.monotonic() - killed
        # A graceful stop lets the job finish first.
        workers[1].send_signal(signal.SIGTERM)
        assert workers[1].wait(timeout=60) == 0
        row = job_row(job)
        assert (row["state"], row["attempts"]) == ("done", 2), row
        assert queued_again < 20
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        log.close()
    assert copies_of(origin) == ["Survivor"]
    assert tasks_of(job) == ["FAILED", "SUCCESSFUL"]
