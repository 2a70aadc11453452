"""Run the background jobs a test queued, as `manage.py db_worker` does in production."""

from unittest import mock

from django.core.management import call_command
from django_tasks_db.management.commands import db_worker


def run_worker() -> None:
    """Run every queued job, then stop.

    The worker closes connections between tasks, as a new process would; inside a test's
    transaction that would drop the test's own connection, so it keeps it here."""
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0
        )
