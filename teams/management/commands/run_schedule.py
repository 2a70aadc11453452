import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from orgdesign.health.services import designs_due, snapshot_daily
from teams.directory.connectors import due_connectors
from teams.directory.pull import pull_connector
from teams.management.commands.snapshot_health import describe
from teams.models import RunState

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run what is due, in a loop: each directory connector whose schedule (hourly, daily) "
        "has come round is pulled, and each live design's daily health snapshot (00:00 UTC) "
        "is recorded once. The job queue has no scheduler of its own, so `make run` and "
        "docker-compose start this beside the worker; cron may run `pull_directory` and "
        "`snapshot_health` (without a slug) instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="Run what is due once, then stop (for cron or a test).")
        parser.add_argument("--interval", type=float, default=60.0,
                            help="Seconds between two looks at what is due (default 60).")

    def handle(self, *args, once=False, interval=60.0, **options):
        while True:
            self.tick()
            if once:
                return
            close_old_connections()
            time.sleep(interval)

    def tick(self) -> None:
        self.pull_directories()
        self.snapshot_health()

    def snapshot_health(self) -> None:
        for organisation in designs_due():
            try:
                taken = snapshot_daily(organisation)
            except Exception:
                logger.exception("The health snapshot of %s failed", organisation.slug)
                continue
            if taken.created or taken.backfilled:
                self.stdout.write(describe(organisation, taken))

    def pull_directories(self) -> None:
        for connector in due_connectors():
            try:
                run = pull_connector(connector=connector, trigger="schedule")
            except Exception:
                # One connector's fault must not stop the others, nor the loop.
                logger.exception("The scheduled pull of connector %s failed", connector.pk)
                continue
            outcome = (f"failed: {run.error}" if run.state == RunState.FAILED else
                       ", ".join(f"{run.counts.get(name, 0)} {name}" for name in
                                 ("created", "updated", "deactivated", "unchanged")))
            self.stdout.write(f"{connector.organisation.slug} ({connector.get_kind_display()}): "
                              f"{outcome}")
