"""The OpenAPI schema of API v1: valid, served with its docs offline, and kept by the API
(schemathesis sends generated requests and checks every answer against it)."""

import re
from collections.abc import Iterator
from io import StringIO

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, settings
from rest_framework.test import APIClient
from schemathesis.config import SchemathesisConfig

from orgdesign.jobs.models import Job, JobKind
from orgdesign.jobs.runner import job_start
from pipelines.models import Engagement, Pipeline
from teams.actor import SYSTEM
from teams.models import Membership, Organisation, Person, ScenarioMerge, Team
from teams.tokens import token_create

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = [
    "/api/v1/orgs/{slug}/",
    "/api/v1/orgs/{slug}/people/",
    "/api/v1/orgs/{slug}/people/{id}/",
    "/api/v1/orgs/{slug}/people/sync/",
    "/api/v1/orgs/{slug}/teams/",
    "/api/v1/orgs/{slug}/memberships/",
    "/api/v1/orgs/{slug}/pipelines/",
    "/api/v1/orgs/{slug}/engagements/",
    "/api/v1/orgs/{slug}/findings/",
    "/api/v1/orgs/{slug}/findings/codes/",
    "/api/v1/orgs/{slug}/matrix/",
    "/api/v1/orgs/{slug}/compare/{other}/",
    "/api/v1/orgs/{slug}/scenarios/{scenario}/changes/",
    "/api/v1/orgs/{slug}/scenarios/{scenario}/conflicts/",
    "/api/v1/orgs/{slug}/scenarios/{scenario}/review/",
    "/api/v1/orgs/{slug}/scenarios/{scenario}/merge/",
    "/api/v1/orgs/{slug}/scenarios/{scenario}/rebase/",
    "/api/v1/orgs/{slug}/jobs/{id}/",
]


def test_the_schema_is_valid_openapi_without_warnings():
    # Raises on any error, and on any warning of drf-spectacular.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO())


def test_the_schema_is_served_and_lists_the_contract_paths():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in CONTRACT_PATHS:
        assert path in schema["paths"], path
    person = schema["paths"]["/api/v1/orgs/{slug}/people/{id}/"]
    assert {"200", "401", "403", "404", "429"} <= set(person["get"]["responses"])
    assert {"400", "412"} <= set(person["patch"]["responses"])
    assert "If-Match" in {p["name"] for p in person["patch"]["parameters"]}
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": "An API token of the organisation, made by one of its admins.",
    }


def test_the_docs_are_served_without_the_internet():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    scripts = re.findall(r'src="([^"]+)"', page)
    # Vendored files, and the page's own start-up script served as a file (no inline script
    # under the Content-Security-Policy).
    assert scripts and all(src.startswith(("/static/", "/api/docs/?script")) for src in scripts)
    assert "<script>" not in page
    assert "cdn." not in page and "unpkg" not in page
    for src in scripts:
        assert Client().get(src).status_code == 200, src


# schemathesis -------------------------------------------------------------------------------

# A few examples per operation (27 operations): enough to find crashes and answers that
# disagree with the schema, small enough for CI (about half a minute on this machine).
EXAMPLES_PER_OPERATION = 8


# Loaded once, at collection: serving the schema reads no database. (schemathesis's
# `from_fixture` would load it per test, but does not work with pytest 9.)
# Every check of schemathesis runs. A request the schema allows may still be refused by a rule
# the schema cannot say (an unknown id, a reporting loop, a stale If-Match, a taken name), so
# positive_data_acceptance also takes the refusals the API documents: 400, 409, 412. And a
# request that breaks the schema may meet a stale If-Match (412) before its body is read.
CONFIG = SchemathesisConfig.from_dict({
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "412"],
        },
        "negative_data_rejection": {
            "expected-statuses": ["400", "401", "403", "404", "406", "409", "412", "422"],
        },
    },
})
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


@pytest.fixture
def demo_write_key() -> Iterator[str]:
    """A write token of the demo organisation. The requests run inside the test's transaction,
    so, as Django's test client does, the WSGI app must not close the connection after each
    one (on PostgreSQL that would end the transaction)."""
    call_command("seed_demo", verbosity=0)
    organisation = Organisation.objects.get(slug="demo")
    _, key = token_create(organisation=organisation, name="schemathesis", scope="write")
    # A job for jobs/{id}/ to read; no worker runs it here.
    job_start(organisation=organisation, kind=JobKind.SCENARIO_COPY, params={"name": "Copy"},
              actor=SYSTEM)
    # A merge for merges/{id}/undo/ to make the undo of.
    ScenarioMerge.objects.create(organisation=organisation, scenario_name="Merged", before={},
                                 after={})
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


REAL_IDS = {
    "people": lambda org: Person.objects.filter(organisation=org),
    "teams": lambda org: Team.objects.filter(organisation=org),
    "memberships": lambda org: Membership.objects.filter(team__organisation=org),
    "pipelines": lambda org: Pipeline.objects.filter(organisation=org),
    "engagements": lambda org: Engagement.objects.filter(pipeline__organisation=org),
    "jobs": lambda org: Job.objects.filter(organisation=org),
    "merges": lambda org: ScenarioMerge.objects.filter(organisation=org),
}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_as_its_schema_says(case, demo_write_key):
    """Against the demo organisation with a write token; path ids are replaced by real ones
    so that writes reach the services."""
    case.path_parameters["slug"] = "demo"
    # A generated id that is not one (a negative case) is kept, to be refused as such.
    if isinstance(case.path_parameters.get("id"), int):
        resource = case.operation.path.split("{slug}/")[1].split("/")[0]
        organisation = Organisation.objects.get(slug="demo")
        case.path_parameters["id"] = REAL_IDS[resource](organisation).values_list(
            "id", flat=True
        ).first()
    case.call_and_validate(headers={"Authorization": f"Bearer {demo_write_key}"})
