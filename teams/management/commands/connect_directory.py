import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from teams.directory.connectors import connector_save
from teams.models import DirectoryKind, Organisation, PullSchedule


class Command(BaseCommand):
    help = (
        "Create or update the organisation's directory connector. The secret (Entra client "
        "secret, Okta API token) is read from the environment variable named by --secret-env, "
        "never from the command line. Then preview with `pull_directory <slug> --preview`."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The organisation to connect.")
        parser.add_argument("--kind", required=True, choices=DirectoryKind.values)
        parser.add_argument(
            "--secret-env", required=True, metavar="VAR",
            help="The environment variable holding the client secret or API token.")
        parser.add_argument("--tenant-id", default=None, help="Entra: the directory (tenant) id.")
        parser.add_argument("--client-id", default=None,
                            help="Entra: the app registration's application (client) id.")
        parser.add_argument("--url", default=None, help=(
            "The directory's API base: Okta's org URL (https://acme.okta.com); Entra's Graph, "
            "https://graph.microsoft.com by default."))
        parser.add_argument("--login-url", default=None, help=(
            "Entra: the token authority, https://login.microsoftonline.com by default."))
        parser.add_argument("--group", default=None,
                            help="Entra: pull only the members of this group (its object id).")
        parser.add_argument("--schedule", default=None, choices=PullSchedule.values)
        parser.add_argument(
            "--map", action="append", default=[], metavar="FIELD=ATTRIBUTE",
            help="Take a field from another attribute, e.g. external_id=id (repeatable).")

    def handle(self, *args, slug, kind, secret_env, **options):
        organisation = Organisation.objects.filter(slug=slug, scenario_of=None).first()
        if organisation is None:
            raise CommandError(f"No organisation '{slug}'.")
        secret = os.environ.get(secret_env, "")
        existing = organisation.connectors.filter(kind=kind).first()
        if not secret and existing is None:
            raise CommandError(f"The environment variable {secret_env} is empty or not set: "
                               "it must hold the secret.")
        mapping = dict(existing.mapping) if existing else {}
        for pair in options["map"]:
            field, _, attribute = pair.partition("=")
            mapping[field.strip()] = attribute.strip()
        values = {}
        for name in ("tenant_id", "client_id", "url", "login_url", "group", "schedule"):
            given = options[name]
            if given is not None:
                values[name] = given
            elif existing is not None:
                values[name] = getattr(existing, name)
        try:
            connector = connector_save(organisation=organisation, kind=kind, mapping=mapping,
                                       secret=secret or None, **values)
        except ValidationError as error:
            raise CommandError(_sentences(error)) from None
        self.stdout.write(
            f"{'Updated' if existing else 'Connected'} {connector.get_kind_display()} for "
            f"{organisation.slug} ({connector.get_schedule_display().lower()}). Preview it: "
            f"python manage.py pull_directory {organisation.slug} --kind {kind} --preview")


def _sentences(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(f"{field}: {' '.join(messages)}"
                        for field, messages in error.message_dict.items())
    return " ".join(error.messages)
