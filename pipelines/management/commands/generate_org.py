import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pipelines.generator import MIN_PEOPLE, MIN_PIPELINES, MIN_TEAMS, generate_org
from teams.models import AccessRole, Organisation
from teams.services import access_grant, organisation_create


class Command(BaseCommand):
    help = (
        "Build a large synthetic organisation for benchmarks: a company tree with the ML head "
        "directly under the CEO, an ML org of about 5% of the people, specialised teams, "
        "product squads and pipelines, with some of every finding but org.no_ml_head. The "
        "same --seed gives the same organisation. The organisation is created when the slug "
        "does not exist; one that already has people, teams or pipelines is refused, since "
        "people are never deleted: generate into a new slug or a fresh database."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The organisation to fill; created when missing.")
        parser.add_argument(
            "--people", type=int, required=True, help=f"At least {MIN_PEOPLE}; L is 50000."
        )
        parser.add_argument(
            "--teams", type=int, required=True, help=f"At least {MIN_TEAMS}; L is 400."
        )
        parser.add_argument(
            "--pipelines", type=int, required=True, help=f"At least {MIN_PIPELINES}; L is 1000."
        )
        parser.add_argument("--seed", type=int, default=0, help="The same seed, the same org.")
        parser.add_argument(
            "--member", metavar="USERNAME",
            help="An existing login to give a role in the organisation, so it can open it.",
        )
        parser.add_argument(
            "--role", choices=AccessRole.values, default=AccessRole.EDITOR,
            help="The role of --member (default: editor).",
        )

    def member(self, username: str | None):
        """The login of --member, found before anything is built."""
        if username is None:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"No login named {username!r}: create it first (manage.py createsuperuser; "
                "with DJANGO_DEBUG=1, seed_demo creates the login demo)."
            )
        return user

    def handle(self, *args, slug, people, teams, pipelines, seed, member, role, **options):
        started = time.perf_counter()
        user = self.member(member)
        try:
            # One transaction: sizes refused by generate_org leave no empty organisation.
            with transaction.atomic():
                organisation = Organisation.objects.filter(slug=slug).first()
                if organisation is None:
                    organisation = organisation_create(slug=slug, name=f"Synthetic {slug}")
                summary = generate_org(
                    organisation, people=people, teams=teams, pipelines=pipelines, seed=seed
                )
                if user is not None:
                    access_grant(organisation=organisation, user=user, role=role)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(f"Generated {organisation.slug}: {summary} in {elapsed:.1f}s.")
        )
        if user is not None:
            self.stdout.write(f"{user.get_username()} is {role} of {organisation.slug}: "
                              f"/orgs/{organisation.slug}/")
