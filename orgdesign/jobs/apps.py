from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "orgdesign.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
