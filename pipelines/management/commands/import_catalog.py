from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pipelines.catalog import catalog_apply, read_files
from teams.models import Organisation


class Command(BaseCommand):
    help = (
        "Import a software catalog into a design: Backstage entity files (catalog-info.yaml, "
        "several documents a file) and CODEOWNERS files, all or nothing. Each file is a "
        "source: importing it again replaces what it brought before (matches set by hand on "
        "the catalog page are kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("files", nargs="+", help="Backstage YAML or CODEOWNERS files.")
        parser.add_argument("--preview", action="store_true",
                            help="Say what the import would do, and write nothing.")

    def handle(self, *args, slug, files, preview=False, **options):
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"No organisation has the slug {slug!r}.")
        read = []
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"No file at {name}.")
            read.append((name, path.read_bytes()))
        plan = read_files(organisation, read)
        for note in plan.notes:
            self.stdout.write(note)
        if plan.problems:
            raise CommandError("Nothing was imported:\n" + "\n".join(plan.problems))
        for source, counts in plan.sources.items():
            replacing = f", replacing {counts['removed']}" if counts["removed"] else ""
            self.stdout.write(f"{source}: {counts['brought']} entities{replacing}")
        if preview:
            self.stdout.write("Preview: nothing was written.")
            return
        try:
            done = catalog_apply(organisation, plan)
        except ValidationError as refusal:
            raise CommandError(" ".join(refusal.messages)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Imported {done['brought']} entities into {organisation.slug} "
            f"({done['removed']} replaced, {done['kept_by_hand']} kept their match by hand)."))
