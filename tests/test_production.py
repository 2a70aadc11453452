"""Production settings and limits: no start on a missing, short or published secret key; the
deploy check clean with the environment the README documents; the API and SCIM budget of a
token held across web processes."""

import os
import secrets
import subprocess
import sys
from collections import Counter

import pytest
import requests
from django.conf import settings
from django.test import override_settings

from teams.tokens import token_create
from tests.factories import OrganisationFactory
from tests.servers import BASE_DIR, needs_postgresql, web_processes
from tests.test_scim import Scim, error_of

# The production environment of the README (Configuration, Production).
PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "orgdesign.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://orgdesign.example.com",
    "DJANGO_BEHIND_TLS_PROXY": "1",
    "DATABASE_URL": "postgres://orgdesign:secret@db.internal:5432/orgdesign",
}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    """manage.py in a fresh process with the production settings and only `env` set of
    ours (none of the test suite's variables)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR, env={**clean, "DJANGO_SETTINGS_MODULE": "orgdesign.settings", **env},
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("key, problem", [
    (None, "is not set"),
    ("short-key", "too short"),
    ("insecure-local-key-set-DJANGO_SECRET_KEY-in-production", "published"),
    ("django-insecure-" + "x7" * 30, "published"),
    ("a" * 60, "too short"),  # long, but one character
], ids=["missing", "short", "the local key", "django's template key", "one character"])
def test_production_refuses_to_start_without_a_key_of_its_own(key, problem):
    env = {**PRODUCTION}
    env.pop("DJANGO_SECRET_KEY")
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert problem in result.stderr


def test_a_local_run_needs_no_key():
    result = manage("check", env={"DJANGO_DEBUG": "1"})
    assert result.returncode == 0, result.stderr


def test_the_deploy_check_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_are_secure():
    result = manage("shell", "-c", (
        "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER)"
    ), env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == (
        "False True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


# The budget of a token -------------------------------------------------------------------


@pytest.mark.django_db
def test_scim_spends_the_api_budget_and_answers_429():
    organisation = OrganisationFactory()
    _, key = token_create(organisation=organisation, name="idp", scope="write")
    scim = Scim(key)
    rates = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "3/hour"}}
    with override_settings(REST_FRAMEWORK=rates):
        answers = [scim.get("Users").status_code for _ in range(3)]
        refused = scim.get("Users")
        api = scim.client.get(f"/api/v1/orgs/{organisation.slug}/",
                              headers={"Authorization": f"Bearer {key}"})
    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers and int(refused["Retry-After"]) > 0
    assert "Too many requests" in error_of(refused)["detail"]
    assert api.status_code == 429  # the same budget as SCIM


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_budget_holds_across_web_processes():
    organisation = OrganisationFactory()
    _, key = token_create(organisation=organisation, name="idp", scope="read")
    headers = {"Authorization": f"Bearer {key}"}
    with web_processes(2, workers=2, env={"ORGDESIGN_API_RATE": "20/hour"}) as servers:
        statuses = Counter()
        for index in range(40):
            server = servers[index % 2]
            # Alternately the API and SCIM, on the two servers (four processes in all).
            path = (f"/api/v1/orgs/{organisation.slug}/" if index % 4 < 2 else "/scim/v2/Users")
            statuses[requests.get(server + path, headers=headers, timeout=30).status_code] += 1
    assert statuses == {200: 20, 429: 20}
