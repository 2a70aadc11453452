"""API v1: who may call it. Tokens belong to one organisation and have a scope; a browser
session works too, with the login's role; requests are throttled per token."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from pipelines.models import Engagement, Pipeline
from teams.models import ApiToken, Membership, Person, Team
from teams.tokens import token_revoke
from tests.api_helpers import api_url, token_client
from tests.factories import (
    AccessFactory,
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

READS = ["", "people/", "teams/", "memberships/", "pipelines/", "engagements/", "findings/",
         "findings/codes/", "matrix/"]


@pytest.fixture
def other():
    """Another organisation, with one object of every kind."""
    organisation = OrganisationFactory(slug="rival")
    engagement = EngagementFactory(pipeline__organisation=organisation)
    MembershipFactory(person__organisation=organisation, team=engagement.team)
    return organisation


# Credentials --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", READS)
def test_a_request_without_credentials_answers_401(org, path):
    response = APIClient().get(api_url(org, path))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer od_unknown", "Bearer xyz"])
def test_a_malformed_or_unknown_token_answers_401(org, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(api_url(org, "people/")).status_code == 401


def test_a_revoked_token_answers_401(org):
    client = token_client(org)
    assert client.get(api_url(org, "people/")).status_code == 200
    token_revoke(token=client.token)
    assert client.get(api_url(org, "people/")).status_code == 401


def test_the_token_records_its_last_use_at_most_once_a_minute(org):
    client = token_client(org)
    long_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.filter(pk=client.token.pk).update(last_used_at=long_ago)
    client.get(api_url(org, "people/"))
    first_use = ApiToken.objects.get(pk=client.token.pk).last_used_at
    assert first_use > long_ago
    client.get(api_url(org, "people/"))
    assert ApiToken.objects.get(pk=client.token.pk).last_used_at == first_use


# Scope --------------------------------------------------------------------------------------


def test_a_read_token_reads_but_cannot_write(org):
    reader = token_client(org, "read")
    person = PersonFactory(organisation=org, name="Kept")
    team = TeamFactory(organisation=org)
    membership = MembershipFactory(person=person, team=team)
    engagement = EngagementFactory(pipeline__organisation=org, team=team)
    for path in READS:
        assert reader.get(api_url(org, path)).status_code == 200, path
    writes = [
        ("patch", "", {"name": "Renamed"}),
        ("post", "people/", {"name": "New"}),
        ("patch", f"people/{person.id}/", {"name": "Renamed"}),
        ("put", f"people/{person.id}/", {"name": "Renamed"}),
        ("delete", f"people/{person.id}/", None),
        ("post", "teams/", {"name": "New"}),
        ("patch", f"memberships/{membership.id}/", {"allocation": 10}),
        ("delete", f"memberships/{membership.id}/", None),
        ("post", "pipelines/", {"name": "New"}),
        ("delete", f"engagements/{engagement.id}/", None),
        ("post", "people/sync/", {"people": []}),
    ]
    for method, path, data in writes:
        response = getattr(reader, method)(api_url(org, path), data)
        assert response.status_code == 403, (method, path)
        assert "read" in response.json()["detail"]
    person.refresh_from_db()
    assert (person.name, person.active) == ("Kept", True)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert Engagement.objects.filter(pk=engagement.pk).exists()


# Isolation between organisations ------------------------------------------------------------


@pytest.mark.parametrize("path", READS)
def test_a_token_of_another_organisation_answers_404(org, other, path):
    rival_writer = token_client(other, "write")
    assert rival_writer.get(api_url(org, path)).status_code == 404
    assert rival_writer.get(f"/api/v1/orgs/no-such-org/{path}").status_code == 404


def test_a_token_cannot_write_into_another_organisation(org, other):
    rival_writer = token_client(other, "write")
    response = rival_writer.post(api_url(org, "people/"), {"name": "Mole"})
    assert response.status_code == 404
    assert not Person.objects.filter(name="Mole").exists()


@pytest.mark.parametrize(
    "resource", ["people", "teams", "memberships", "pipelines", "engagements"]
)
def test_the_ids_of_another_organisation_answer_404(org, other, resource):
    writer = token_client(org, "write")
    model = {
        "people": Person, "teams": Team, "memberships": Membership, "pipelines": Pipeline,
        "engagements": Engagement,
    }[resource]
    lookup = {
        "memberships": "team__organisation", "engagements": "pipeline__organisation"
    }.get(resource, "organisation")
    theirs = model.objects.filter(**{lookup: other}).first()
    url = api_url(org, f"{resource}/{theirs.id}/")
    assert writer.get(url).status_code == 404
    assert writer.patch(url, {}).status_code == 404
    assert writer.delete(url).status_code == 404
    assert model.objects.filter(pk=theirs.pk).exists()


def test_lists_never_include_another_organisations_objects(org, other):
    reader = token_client(org, "read")
    for path in ("people/", "teams/", "memberships/", "pipelines/", "engagements/"):
        assert reader.get(api_url(org, path)).json()["count"] == 0, path
    findings = reader.get(api_url(org, "findings/"), {"page_size": 1000}).json()["results"]
    assert {f["code"] for f in findings} == {"org.no_ml_head"}
    matrix = reader.get(api_url(org, "matrix/")).json()
    assert (matrix["count"], matrix["columns"]) == (0, [])


# Throttling ---------------------------------------------------------------------------------


@pytest.fixture
def three_a_minute(settings):
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "3/min"}
    }
    yield
    cache.clear()


def test_the_default_rate_is_at_least_600_a_minute(settings):
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"]
    count, period = rate.split("/")
    assert period.startswith("m") and int(count) >= 600


def test_requests_beyond_the_rate_answer_429_for_that_token_only(org, three_a_minute):
    busy, quiet = token_client(org), token_client(org)
    statuses = [busy.get(api_url(org, "people/")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert busy.get(api_url(org, "people/"))["Retry-After"]
    assert quiet.get(api_url(org, "people/")).status_code == 200


# Browser sessions ---------------------------------------------------------------------------


def session_client(org, role: str | None) -> tuple[APIClient, object]:
    user = UserFactory()
    if role:
        AccessFactory(organisation=org, user=user, role=role)
    client = APIClient()
    client.force_login(user)
    return client, user


def test_a_viewer_session_reads_but_cannot_write(org):
    client, _ = session_client(org, "viewer")
    assert client.get(api_url(org, "people/")).status_code == 200
    response = client.post(api_url(org, "people/"), {"name": "New"})
    assert response.status_code == 403
    assert "editor" in response.json()["detail"]


def test_an_editor_session_writes_and_is_recorded_as_the_author(org):
    client, user = session_client(org, "editor")
    response = client.post(api_url(org, "people/"), {"name": "New"})
    assert response.status_code == 201, response.json()
    person = Person.objects.get(pk=response.json()["id"])
    assert (person.updated_by, person.updated_by_token, person.updated_via) == (
        user, None, "api"
    )


def test_a_session_without_a_role_in_the_organisation_answers_404(org):
    client, _ = session_client(org, None)
    assert client.get(api_url(org, "people/")).status_code == 404


def test_a_session_write_needs_the_csrf_token(org):
    user = UserFactory()
    AccessFactory(organisation=org, user=user, role="editor")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(api_url(org, "people/"), {"name": "New"}).status_code == 403
    assert not Person.objects.filter(name="New").exists()
