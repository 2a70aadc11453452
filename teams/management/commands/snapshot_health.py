from django.core.management.base import BaseCommand, CommandError

from orgdesign.health.services import live_designs, snapshot_daily
from teams.models import Organisation


class Command(BaseCommand):
    help = (
        "Record today's 00:00 UTC health snapshot of one design, or of every live design "
        "(once a day: a second run records nothing). A design without snapshots first gets "
        "the last 90 days back-filled from its history. `run_schedule` does the same by "
        "itself; run this from cron instead if you prefer."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="The organisation (default: every live one).")

    def handle(self, *args, slug=None, **options):
        if slug is not None:
            organisation = Organisation.objects.filter(slug=slug).first()
            if organisation is None:
                raise CommandError(f"No organisation has the slug {slug!r}.")
            designs = [organisation]
        else:
            designs = list(live_designs())
        for organisation in designs:
            taken = snapshot_daily(organisation)
            self.stdout.write(describe(organisation, taken))


def describe(organisation, taken) -> str:
    if taken.snapshot is None:
        said = "created after 00:00 UTC today: its first snapshot is tomorrow's"
    else:
        figures = taken.snapshot.figures
        verb = "recorded" if taken.created else "already recorded"
        said = (f"{verb} {taken.snapshot.at:%Y-%m-%d %H:%M} UTC: {figures['errors']} errors, "
                f"{figures['warnings']} warnings")
    if taken.backfilled:
        said += f"; {taken.backfilled} earlier days back-filled from history"
    return f"{organisation.slug}: {said}"
