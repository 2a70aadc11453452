"""A whole-company batch through the HTTP API: larger than Django's default body limit."""

import json

import pytest
from django.test import Client

from benchmarks.sync_people import batch
from teams import services
from teams.models import Person
from teams.tokens import token_create
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_a_sync_of_fifteen_thousand_people_is_accepted_in_one_call():
    organisation = OrganisationFactory()
    services.team_create(organisation=organisation, name="Platform", kind="infrastructure")
    _, key = token_create(organisation=organisation, name="HRIS", scope="write")
    body = json.dumps({"mode": "snapshot", "dry_run": False, "people": batch(15_000, "Eng")})
    assert len(body) > 2.5 * 1024 * 1024  # over Django's default DATA_UPLOAD_MAX_MEMORY_SIZE

    response = Client().post(
        f"/api/v1/orgs/{organisation.slug}/people/sync/", body,
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == 200, response.content[:300]
    assert response.json()["created"] == 15_000
    assert Person.objects.filter(organisation=organisation).count() == 15_000
