"""The probe of issue 24, as an attacker sends it: against gunicorn with DEBUG off, on the
test database (PostgreSQL), over HTTP. Every request that once read across the scenario
boundary or answered 500 is sent again; none may answer 5xx, none may show what the caller
may not see, and nothing is written by the refused ones."""

from __future__ import annotations

import json

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from orgdesign.jobs.runner import job_start
from orgdesign.scenarios.services import scenario_create
from teams import services
from teams.actor import Actor
from teams.models import Door, Person
from teams.tokens import token_create
from tests.db_state import db_state
from tests.factories import OrganisationFactory, PersonFactory, UserFactory
from tests.servers import browser_session, needs_postgresql, web_processes

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]

PASSWORD = "a right password 42"
SECRET = "Secret Candidate Zed"


def _user(username: str):
    user = UserFactory(username=username)
    # The servers know Django's default hashers, not the fast one the suite uses.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt")
    user.save()
    return user


def test_an_attackers_probe_finds_no_read_across_the_boundary_and_no_500():
    origin = OrganisationFactory(slug="acme", name="Acme")
    PersonFactory(organisation=origin, name="Live Person")
    admin, viewer, mallory = _user("admin"), _user("viewer"), _user("mallory")
    services.access_grant(organisation=origin, user=admin, role="admin")
    services.access_grant(organisation=origin, user=viewer, role="viewer")
    services.access_grant(organisation=origin, user=mallory, role="editor")
    public = scenario_create(origin=origin, name="Mallory's copy", creator=mallory)
    private = scenario_create(origin=origin, name="Secret hire", creator=admin, private=True)
    Person.objects.create(organisation=private, name=SECRET)
    private_job = job_start(organisation=origin, kind="scenario_copy",
                            params={"name": "Secret hire", "private": True},
                            actor=Actor(via=Door.BROWSER, user=admin))
    _, scenario_key = token_create(organisation=public, name="mallory's", scope="read")
    _, scim_key = token_create(organisation=origin, name="idp", scope="write")
    other = OrganisationFactory(slug="other", name="Other")
    _, other_key = token_create(organisation=other, name="other", scope="write")
    # Mallory is removed from the origin: her scenario's token and her login see nothing more.
    services.access_revoke(organisation=origin, user=mallory)
    before = db_state()

    with web_processes(1, workers=2, env={"DJANGO_DEBUG": "0"}) as (server,):
        def api(key: str, path: str, method: str = "GET", body=None) -> requests.Response:
            return requests.request(method, server + path, json=body, timeout=60,
                                    headers={"Authorization": f"Bearer {key}"})

        answers: dict[str, requests.Response] = {}
        # Reads across the boundary, through a scenario's token.
        answers["scenario token compares its origin"] = api(
            scenario_key, f"/api/v1/orgs/{public.slug}/compare/acme/")
        answers["token compare private sibling"] = api(
            scenario_key, f"/api/v1/orgs/{public.slug}/compare/{private.slug}/")
        answers["other tenant's token compare"] = api(
            other_key, f"/api/v1/orgs/other/compare/{private.slug}/")
        # The removed editor, logged in.
        removed = browser_session(server, "mallory", PASSWORD)
        for path in (f"/orgs/{public.slug}/", f"/orgs/{private.slug}/",
                     f"/orgs/acme/compare/{public.slug}/",
                     f"/api/v1/orgs/{public.slug}/compare/acme/"):
            answers[f"removed {path}"] = removed.get(server + path, timeout=60)
        # A viewer of the origin, at the private copy's job.
        reader = browser_session(server, "viewer", PASSWORD)
        answers["viewer private job"] = reader.get(
            f"{server}/orgs/acme/jobs/{private_job.uid}/", timeout=60)
        answers["viewer job by its row id"] = reader.get(
            f"{server}/orgs/acme/jobs/{private_job.pk}/", timeout=60)
        answers["viewer private compare"] = reader.get(
            f"{server}/orgs/acme/compare/{private.slug}/", timeout=60)
        # The inputs that answered 500.
        answers["compare NUL"] = reader.get(f"{server}/orgs/acme/compare/%00/", timeout=60)
        answers["api compare NUL"] = api(scim_key, "/api/v1/orgs/acme/compare/%00/")
        answers["remedies key ²"] = reader.get(
            f"{server}/orgs/acme/findings/%C2%B2/remedies/", timeout=60)
        answers["api remedies key ²"] = api(scim_key, "/api/v1/orgs/acme/findings/%C2%B2/remedies/")
        for rank in ("²", "9" * 5000, "1"):
            answers[f"api remedies rank {rank[:3]}"] = api(
                scim_key, "/api/v1/orgs/acme/findings/0/remedies/", "POST", {"rank": rank})
        answers["history until 9999"] = reader.get(
            f"{server}/orgs/acme/history/?until=9999-12-31", timeout=60)
        for escaped in ("\\u0000", "\\ud800"):
            raw = '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], ' \
                  f'"filter": "userName eq \\"a{escaped}b\\""}}'
            answers[f"scim filter {escaped}"] = requests.post(
                f"{server}/scim/v2/Users/.search", data=raw.encode(), timeout=60,
                headers={"Authorization": f"Bearer {scim_key}",
                         "Content-Type": "application/scim+json"})
        answers["scim lastModified 9999"] = requests.get(
            f"{server}/scim/v2/Users", timeout=60,
            params={"filter": 'meta.lastModified gt "9999-12-31T23:59:59+01:00"'},
            headers={"Authorization": f"Bearer {scim_key}"})
        huge = " or ".join(f'userName eq "u{n}"' for n in range(32000))
        answers["scim 32,000 terms"] = requests.post(
            f"{server}/scim/v2/Users/.search", timeout=60,
            data=json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                             "filter": huge}),
            headers={"Authorization": f"Bearer {scim_key}",
                     "Content-Type": "application/scim+json"})
        owner = browser_session(server, "admin", PASSWORD)
        answers["members of a scenario"] = owner.post(
            f"{server}/orgs/{public.slug}/members/", timeout=60, allow_redirects=False,
            data={"username": "mallory", "role": "admin",
                  "csrfmiddlewaretoken": owner.cookies["csrftoken"]})

    refused = {name: r.status_code for name, r in answers.items()}
    assert not [name for name, code in refused.items() if code >= 500], refused
    assert refused == {
        "scenario token compares its origin": 200,  # by design: made by an admin
        "token compare private sibling": 404,  # ...never a sibling
        "other tenant's token compare": 404,
        f"removed /orgs/{public.slug}/": 404,
        f"removed /orgs/{private.slug}/": 404,
        f"removed /orgs/acme/compare/{public.slug}/": 404,
        f"removed /api/v1/orgs/{public.slug}/compare/acme/": 404,
        "viewer private job": 404,
        "viewer job by its row id": 404,
        "viewer private compare": 404,
        "compare NUL": 400,
        "api compare NUL": 400,
        "remedies key ²": 404,
        "api remedies key ²": 404,
        "api remedies rank ²": 400,
        "api remedies rank 999": 400,
        "api remedies rank 1": 400,
        "history until 9999": 200,
        "scim filter \\u0000": 400,
        "scim filter \\ud800": 400,
        "scim lastModified 9999": 400,
        "scim 32,000 terms": 400,
        "members of a scenario": 302,  # to the origin's members page, adding nobody
    }
    for name, response in answers.items():
        assert SECRET not in response.text, name
        assert "Secret hire" not in response.text, name
        if name.startswith("scim"):
            assert response.headers["Content-Type"].startswith("application/scim+json"), name
    assert answers["members of a scenario"].headers["Location"] == "/orgs/acme/members/"
    assert answers["scim 32,000 terms"].elapsed.total_seconds() < 5
    after = db_state()
    # Logging in records the last login; nothing else was written.
    before.pop("User"), after.pop("User")
    assert after == before
