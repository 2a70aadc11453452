"""Production settings and limits: no start on a missing, short or published secret key; the
deploy check clean with the environment the README documents; the API and SCIM budget of a
token held across web processes."""

import os
import re
import secrets
import subprocess
import sys
from collections import Counter

import pytest
import requests
import yaml
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from teams.tokens import token_create
from tests.factories import OrganisationFactory
from tests.servers import BASE_DIR, browser_session, needs_postgresql, web_processes

# The production environment of the README (Configuration, Production).
PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "orgdesign.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://orgdesign.example.com",
    "DJANGO_BEHIND_TLS_PROXY": "1",
    "DATABASE_URL": "postgres://orgdesign:secret@db.internal:5432/orgdesign",
}


def run_python(args: list[str], env: dict) -> subprocess.CompletedProcess:
    """Python in a fresh process with the production settings and only `env` set of ours
    (none of the test suite's variables)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR, env={**clean, "DJANGO_SETTINGS_MODULE": "orgdesign.settings", **env},
        capture_output=True, text=True, timeout=120,
    )


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return run_python(["manage.py", *args], env)


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
    # The web process (gunicorn and runserver load orgdesign.wsgi) does not start.
    web = run_python(["-c", "import orgdesign.wsgi"], env)
    assert web.returncode != 0
    assert "ImproperlyConfigured" in web.stderr and problem in web.stderr
    # The deploy check fails on it.
    deploy = manage("check", "--deploy", env=env)
    assert deploy.returncode != 0
    assert "orgdesign.E001" in deploy.stderr and problem in deploy.stderr


def test_commands_that_need_no_key_still_run_without_one():
    # A fresh clone checks its migrations with no environment at all.
    result = manage("makemigrations", "--check", "--dry-run", env={})
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_local_run_needs_no_key():
    result = manage("check", "--deploy", env={"DJANGO_DEBUG": "1"})
    assert "orgdesign.E001" not in result.stdout + result.stderr
    assert run_python(["-c", "import orgdesign.wsgi"], {"DJANGO_DEBUG": "1"}).returncode == 0


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
            # The two servers in turn (four processes in all). SCIM has a budget of its own,
            # tested across processes in tests/test_scim_throttle.py.
            path = f"/api/v1/orgs/{organisation.slug}/"
            statuses[requests.get(server + path, headers=headers, timeout=60).status_code] += 1
    assert statuses == {200: 20, 429: 20}


# Stateless web processes -------------------------------------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_import_previewed_on_one_process_is_applied_on_another():
    from teams.models import PendingUpload, Person
    from tests.factories import TeamFactory, UserFactory

    organisation = OrganisationFactory(slug="acme")
    TeamFactory(organisation=organisation, name="Models", kind="modeling")
    user = UserFactory(username="ed")
    # The servers know Django's default hashers, not the fast one the suite uses.
    user.password = PBKDF2PasswordHasher().encode("a right password 42", "saltsaltsalt")
    user.save()
    from teams import services

    services.access_grant(organisation=organisation, user=user, role="editor")
    roster = b"Employee ID,Full Name,Supervisor ID,teams\nE2,Bea,E1,Models:60\nE1,Ada,,\n"
    # Each server has a temporary directory of its own, as separate hosts would.
    with web_processes(2, workers=1) as (first, second):
        session = browser_session(first, "ed", "a right password 42")
        preview = session.post(
            f"{first}/orgs/acme/import/people/", timeout=60,
            data={"mode": "delta", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            files={"file": ("roster.csv", roster, "text/csv")},
            headers={"Referer": f"{first}/orgs/acme/import/"},
        )
        assert 'data-import-state="preview"' in preview.text, preview.text[:2000]
        ticket = re.search(r'name="ticket" value="([^"]+)"', preview.text).group(1)
        assert PendingUpload.objects.filter(organisation=organisation).count() == 1
        applied = session.post(
            f"{second}/orgs/acme/import/people/apply/", timeout=60,
            data={"ticket": ticket, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": f"{second}/orgs/acme/import/"},
        )
        assert 'data-import-state="applied"' in applied.text, applied.text[:2000]
    people = dict(Person.objects.filter(organisation=organisation)
                  .values_list("external_id", "manager__external_id"))
    assert people == {"E1": None, "E2": "E1"}
    assert not PendingUpload.objects.filter(organisation=organisation).exists()


def test_docker_compose_runs_two_web_replicas_and_a_worker_on_one_database():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["web"]["deploy"]["replicas"] == 2
    assert "db_worker" in services["worker"]["command"]
    # Migrations run once, before the replicas start: never two migrations at once.
    assert "migrate" in services["setup"]["command"]
    assert "migrate" not in services["web"]["command"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["setup"]["condition"] == (
            "service_completed_successfully"
        )
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert ":?" in environment["DJANGO_SECRET_KEY"]  # refused to start without one
