from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from teams.models import Organisation, TokenScope
from teams.tokens import token_create


class Command(BaseCommand):
    help = (
        "Create an API token for one organisation and print it once, alone on the last line. "
        "Only its hash is stored: copy it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The organisation the token belongs to.")
        parser.add_argument("--name", required=True, help="Who or what uses the token.")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)

    def handle(self, *args, slug, name, scope, **options):
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"No organisation '{slug}'.")
        try:
            token, key = token_create(organisation=organisation, name=name, scope=scope)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stderr.write(
            f"Token '{token.name}' ({token.get_scope_display().lower()}) for {organisation.slug}; "
            "it is shown once:"
        )
        self.stdout.write(key)
