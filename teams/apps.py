from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Organisations, people and teams"

    def ready(self):
        # The receiver that files each history entry under its organisation.
        from teams import history  # noqa: F401
