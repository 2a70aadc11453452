from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from teams import services
from teams.models import Organisation


class Command(BaseCommand):
    help = "Create an empty organisation; an existing slug is reported and left unchanged."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True, help="The organisation's display name.")

    def handle(self, *args, slug: str, name: str, **options):
        if Organisation.objects.filter(slug=slug).exists():
            self.stdout.write(f"Organisation '{slug}' already exists; nothing changed.")
            return
        try:
            organisation = services.organisation_create(slug=slug, name=name)
        except ValidationError as error:
            problems = [
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            ]
            raise CommandError("; ".join(problems)) from error
        self.stdout.write(self.style.SUCCESS(f"Created organisation '{organisation.slug}'."))
