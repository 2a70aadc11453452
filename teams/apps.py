from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Organisations, people and teams"

    def ready(self):
        # The receiver that files each history entry under its organisation.
        # Production's refusal of an unfit secret key, as a system check.
        from orgdesign import production  # noqa: F401
        from teams import history  # noqa: F401
