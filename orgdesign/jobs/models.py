"""The `Job` model: long work a worker does, and how far it got."""

import uuid

from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class JobKind(models.TextChoices):
    SCENARIO_COPY = "scenario_copy", "Copy into a scenario"
    SCENARIO_PROMOTE = "scenario_promote", "Promote a scenario"
    PEOPLE_SYNC = "people_sync", "People sync"
    PEOPLE_IMPORT = "people_import", "People import"
    SCENARIO_FIX = "scenario_fix", "Try a fix"
    DIRECTORY_PULL = "directory_pull", "Directory pull"
    SCENARIO_MERGE = "scenario_merge", "Merge a scenario"


class Job(models.Model):
    """Long work done by a worker (`manage.py db_worker`), and how far it got, for the job
    pages to show. The work itself is one transaction: a failed job leaves nothing written."""

    # What its pages and the API call it: ids are sequential, so they would tell one job's
    # address from another's.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "teams.Organisation", on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(max_length=20, choices=JobKind.choices)
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # What the job was asked to do (JSON), and what it answers when done.
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by_token = models.ForeignKey(
        "teams.ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Written by the worker while it runs the job (orgdesign.jobs.runner): a running job whose
    # heartbeat stopped lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0
