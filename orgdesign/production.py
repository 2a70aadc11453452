"""Production does not start on a missing, short or published secret key
(`settings.SECRET_KEY_PROBLEM`): the web entry points (wsgi.py, which gunicorn and runserver
load, and asgi.py) call `refuse_unfit_key`, and `check --deploy` fails with the error below.
Commands that need no key (makemigrations, a migration on a build machine) still run."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


def key_message() -> str | None:
    problem = getattr(settings, "SECRET_KEY_PROBLEM", None)
    if problem is None:
        return None
    return (
        f"{problem} Production (DJANGO_DEBUG unset or 0) needs a key of its own, e.g. "
        "DJANGO_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))'); "
        "set DJANGO_DEBUG=1 for a local run."
    )


def refuse_unfit_key() -> None:
    """Called by wsgi.py and asgi.py before the application loads."""
    if message := key_message():
        raise ImproperlyConfigured(message)


@register(Tags.security, deploy=True)
def secret_key_check(app_configs, **kwargs):
    message = key_message()
    return [Error(message, id="orgdesign.E001")] if message else []
