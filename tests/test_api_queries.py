"""API v1 answers in a fixed number of queries whatever the organisation's size."""

import pytest

from orgdesign.analysis.kept import forget_all
from pipelines.generator import generate_org
from tests.api_helpers import api_url, token_client
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

# The token (with its organisation) is always the first query, and the count of the token's
# requests (the rate limit, shared by every web process) the second; the token counts as just
# used, so no write records its use.
QUERIES = {
    "": 2,  # the token: it brings the organisation; the rate count
    "people/": 6,  # token, rate, count, the page, its managers' external ids, its dotted lines
    "teams/": 6,  # token, rate, count, the page, the ML head, everyone's solid line
    "memberships/": 4,  # token, rate, count, the page
    "pipelines/": 4,  # token, rate, count, the page
    "engagements/": 4,  # token, rate, count, the page
    # The design's analysis, kept by its version (orgdesign.analysis.kept): token, rate.
    "findings/": 2,
    "matrix/": 2,
    "findings/codes/": 2,  # token, rate: the catalogue is code
}
# The first read of a version of the design analyses it: token, rate, the organisation again
# (its settings and version together), one query per table: people, teams, memberships,
# pipelines, engagements, positions, and the software catalog the generator plants.
FIRST_READ = 10


def test_api_reads_do_not_grow_with_the_organisation(django_assert_num_queries):
    for people, teams, pipelines in ((400, 20, 20), (2000, 80, 120)):
        organisation = OrganisationFactory()
        generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=7)
        client = token_client(organisation, "read")
        for path, queries in QUERIES.items():
            if path in ("findings/", "matrix/"):
                forget_all()
                with django_assert_num_queries(FIRST_READ):
                    client.get(api_url(organisation, path))
            with django_assert_num_queries(queries):
                response = client.get(api_url(organisation, path))
            assert response.status_code == 200, path
            if "results" in response.json():
                assert response.json()["results"], path
