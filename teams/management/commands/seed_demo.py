import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from orgdesign.health.services import snapshot_daily
from orgdesign.samples.demo import DEMO_SLUG, build_demo, give_a_past
from orgdesign.scenarios.services import design_delete
from teams import services
from teams.models import AccessRole, Organisation

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"


class Command(BaseCommand):
    help = (
        "Create the demo organisation 'demo' (idempotent: an existing one is left as it is, "
        "unless --reset) and, when DJANGO_DEBUG is on, the local login demo/demo as its editor."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo organisation and build it anew."
        )

    @transaction.atomic
    def handle(self, *args, reset: bool = False, **options):
        existing = Organisation.objects.filter(slug=DEMO_SLUG).first()
        if existing and reset:
            design_delete(existing)
            existing = None
        if existing:
            organisation = existing
            self.stdout.write(f"Demo organisation '{DEMO_SLUG}' already exists; left as it is.")
        else:
            organisation = build_demo()
            # Twelve weeks of history, and the health snapshots they give.
            give_a_past(organisation)
            snapshot_daily(organisation)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created the demo organisation '{DEMO_SLUG}' "
                    f"({organisation.people.count()} people, {organisation.teams.count()} teams, "
                    f"{organisation.pipelines.count()} pipelines)."
                )
            )
        self._ensure_login(organisation)

    def _ensure_login(self, organisation):
        user_model = get_user_model()
        user = user_model.objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            if not settings.DEBUG:
                self.stdout.write(
                    "DJANGO_DEBUG is off: not creating the demo login (a known password has no "
                    "place in production). Create a user with `manage.py createsuperuser`."
                )
                return
            user = user_model.objects.create_user(DEMO_USERNAME, password=DEMO_PASSWORD)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created the login: username '{DEMO_USERNAME}', password '{DEMO_PASSWORD}'."
                )
            )
        else:
            self.stdout.write(f"Login '{DEMO_USERNAME}' already exists.")
        services.access_grant(organisation=organisation, user=user, role=AccessRole.EDITOR)
        # `make run` says where it serves (HOST and PORT); by hand, runserver's default.
        address = os.environ.get("ORGDESIGN_ADDRESS", "http://127.0.0.1:8000").rstrip("/")
        self.stdout.write(
            f"Log in at {address}/accounts/login/ as '{DEMO_USERNAME}' (password "
            f"'{DEMO_PASSWORD}' if this command created it), then open "
            f"{address}/orgs/{DEMO_SLUG}/."
        )
