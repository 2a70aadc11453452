"""API v1 answers in a fixed number of queries whatever the organisation's size."""

import pytest

from pipelines.generator import generate_org
from tests.api_helpers import api_url, token_client
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

# The token (with its organisation) is always the first query; the token counts as just
# used, so no write records its use.
QUERIES = {
    "": 1,  # the token: it brings the organisation
    "people/": 4,  # token, count, the page with managers, their dotted-line managers
    "teams/": 5,  # token, count, the page, the ML head, everyone's solid line (in_ml_org)
    "memberships/": 3,  # token, count, the page
    "pipelines/": 3,  # token, count, the page
    "engagements/": 3,  # token, count, the page
    # token, then one query per table: people, teams, memberships, pipelines, engagements
    "findings/": 6,
    "matrix/": 6,
    "findings/codes/": 1,  # token: the catalogue is code
}


def test_api_reads_do_not_grow_with_the_organisation(django_assert_num_queries):
    for people, teams, pipelines in ((400, 20, 20), (2000, 80, 120)):
        organisation = OrganisationFactory()
        generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=7)
        client = token_client(organisation, "read")
        for path, queries in QUERIES.items():
            with django_assert_num_queries(queries):
                response = client.get(api_url(organisation, path))
            assert response.status_code == 200, path
            if "results" in response.json():
                assert response.json()["results"], path
