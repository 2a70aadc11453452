import json

from django.core.management.base import BaseCommand, CommandError

from teams.directory.connectors import due_connectors
from teams.directory.pull import COUNTS, pull_connector
from teams.models import DirectoryKind, Organisation, RunState


class Command(BaseCommand):
    help = (
        "Pull people and reporting lines from the organisation's directory now, through the "
        "people sync, and print the counts as JSON on the last line. --preview writes "
        "nothing. Without a slug, run every connector that is due on its schedule (for cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="The organisation; none: every due one.")
        parser.add_argument("--kind", choices=DirectoryKind.values)
        parser.add_argument("--preview", action="store_true",
                            help="Show what would change; write nothing.")

    def handle(self, *args, slug=None, kind=None, preview=False, **options):
        if slug is None:
            connectors = list(due_connectors())
            if kind:
                connectors = [c for c in connectors if c.kind == kind]
            trigger = "schedule"
        else:
            organisation = Organisation.objects.filter(slug=slug, scenario_of=None).first()
            if organisation is None:
                raise CommandError(f"No organisation '{slug}'.")
            connectors = list(organisation.connectors.all())
            if kind:
                connectors = [c for c in connectors if c.kind == kind]
            if not connectors:
                raise CommandError(f"{slug} has no {kind or 'directory'} connector: add one "
                                   "with connect_directory.")
            if len(connectors) > 1:
                raise CommandError(f"{slug} has several connectors: choose one with --kind.")
            trigger = "command"
        totals = {**dict.fromkeys(COUNTS, 0), "errors": []}
        failed = []
        for connector in connectors:
            run = pull_connector(connector=connector, preview=preview, trigger=trigger)
            label = f"{connector.organisation.slug} ({connector.get_kind_display()})"
            if run.state == RunState.FAILED:
                failed.append(f"{label}: {run.error}")
                self.stderr.write(f"{label}: {run.error}")
            for change in run.changes[:20]:
                self.stderr.write(f"  {change['action']}: {change['name']} "
                                  f"({change['external_id']})")
            for note in run.notes:
                self.stderr.write(f"  {note}")
            for name in COUNTS:
                totals[name] += run.counts.get(name, 0)
            totals["errors"].extend(run.counts.get("errors", []))
        self.stdout.write(json.dumps(totals))
        if failed:
            raise CommandError("Nothing was written for: " + "; ".join(failed))
