"""SCIM's budget of requests per token (issue 24), apart from the API's.

An identity provider pushes a burst when a group is assigned (each of its people, then the
group), and a conformance checker's run is about 700 requests: with the API's 600 a minute,
shared, both were throttled part-way. SCIM now counts under a key of its own
("scim-token-<hash>"), ORGDESIGN_SCIM_RATE a minute (6,000 by default); beyond it, 429 as a
SCIM Error with Retry-After. Neither door spends the other's budget.
"""

from collections import Counter
from types import SimpleNamespace

import pytest
import requests
from django.conf import settings as django_settings

from orgdesign.api.auth import client_key
from orgdesign.web import ratelimit
from teams.models import Person, RequestCount
from teams.tokens import token_create
from tests.api_helpers import api_url
from tests.db_state import db_state
from tests.scim_client import USER, Scim, error_of
from tests.servers import needs_postgresql, web_processes

# A minute's start (1_700_000_040 is a multiple of 60), and 10 s into it.
MINUTE = 1_700_000_040
NOW = MINUTE + 10


@pytest.fixture
def frozen(monkeypatch):
    """The rate limits' clock stopped 10 s into a minute: every request of the test falls in
    one window, 50 s before its end."""
    assert MINUTE % 60 == 0
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: NOW))


@pytest.fixture
def token(org):
    return token_create(organisation=org, name="Entra ID", scope="write")


@pytest.fixture
def scim(token):
    return Scim(token[1])


def api_get(scim: Scim, organisation):
    return scim.client.get(api_url(organisation, "people/"), headers=scim.headers)


def counted(token) -> dict[str, int]:
    """The token's counts in the current windows, by door."""
    rows = dict(RequestCount.objects.values_list("key", "count"))
    key = client_key(token[0])
    return {"api": rows.get(key, 0), "scim": rows.get(ratelimit.scim_key(key), 0)}


def test_the_default_scim_budget_is_6000_a_minute_and_its_own():
    assert django_settings.ORGDESIGN_SCIM_RATE == ratelimit.DEFAULT_SCIM_RATE == "6000/min"
    assert ratelimit.scim_rate() == (6000, 60)
    assert ratelimit.scim_key("token-abc") == "scim-token-abc"


@pytest.mark.django_db
def test_a_burst_of_2000_scim_requests_in_a_minute_passes(org, token, scim, frozen):
    statuses = Counter(scim.get("ServiceProviderConfig").status_code for _ in range(2000))
    assert statuses == {200: 2000}
    assert counted(token) == {"api": 0, "scim": 2000}
    # The API's budget (600) is untouched.
    assert api_get(scim, org).status_code == 200
    assert counted(token) == {"api": 1, "scim": 2000}


@pytest.mark.django_db
def test_the_default_budget_stops_at_6000_with_a_scim_429(org, token, scim, frozen):
    assert scim.get("Users").status_code == 200
    RequestCount.objects.filter(key=ratelimit.scim_key(client_key(token[0]))).update(count=5999)
    assert scim.get("Users").status_code == 200  # the 6,000th
    refused = scim.get("Users")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"  # the seconds left in the minute
    assert api_get(scim, org).status_code == 200


@pytest.mark.django_db
def test_beyond_the_scim_budget_the_429_is_a_scim_error_and_writes_nothing(
    org, token, scim, settings, frozen
):
    settings.ORGDESIGN_SCIM_RATE = "3/min"
    assert [scim.get("Users").status_code for _ in range(3)] == [200, 200, 200]
    before = db_state()
    for refused in (
        scim.get("Users"),
        scim.post("Users", {"schemas": [USER], "userName": "ada@example.com"}),
        scim.post("Users/.search", {"filter": 'userName eq "ada@example.com"'}),
    ):
        assert refused.status_code == 429
        assert refused["Content-Type"].startswith("application/scim+json")
        assert refused["Retry-After"] == "50"
        body = error_of(refused)
        assert body["status"] == "429"
        assert "Too many requests" in body["detail"] and "Retry-After" in body["detail"]
    assert db_state() == before
    assert not Person.objects.filter(organisation=org).exists()
    # Another token of the organisation has a budget of its own.
    other = Scim(token_create(organisation=org, name="Okta", scope="read")[1])
    assert other.get("Users").status_code == 200


@pytest.mark.django_db
def test_scim_does_not_spend_the_api_budget(org, token, scim, settings, frozen):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "2/min"}
    }
    assert [scim.get("Users").status_code for _ in range(10)] == [200] * 10
    assert [api_get(scim, org).status_code for _ in range(3)] == [200, 200, 429]
    # ... and the API, out of budget, does not stop SCIM.
    assert scim.get("Users").status_code == 200
    assert counted(token) == {"api": 3, "scim": 11}


@pytest.mark.django_db
def test_the_api_does_not_spend_the_scim_budget(org, token, scim, settings, frozen):
    settings.ORGDESIGN_SCIM_RATE = "2/min"
    assert [api_get(scim, org).status_code for _ in range(10)] == [200] * 10
    assert [scim.get("Users").status_code for _ in range(3)] == [200, 200, 429]
    assert api_get(scim, org).status_code == 200
    assert counted(token) == {"api": 11, "scim": 3}


@pytest.mark.django_db
def test_an_empty_rate_is_no_scim_budget(token, scim, settings, frozen):
    settings.ORGDESIGN_SCIM_RATE = ""
    assert ratelimit.scim_rate() is None
    assert {scim.get("Users").status_code for _ in range(5)} == {200}
    assert counted(token)["scim"] == 0


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_each_budget_holds_across_web_processes(org, token):
    headers = {"Authorization": f"Bearer {token[1]}"}
    env = {"ORGDESIGN_API_RATE": "10/hour", "ORGDESIGN_SCIM_RATE": "10/hour"}
    with web_processes(2, workers=2, env=env) as servers:
        statuses = Counter()
        for index in range(40):
            # Alternately the API and SCIM, on the two servers (four processes in all).
            door = "api" if index % 4 < 2 else "scim"
            path = api_url(org) if door == "api" else "/scim/v2/Users"
            response = requests.get(servers[index % 2] + path, headers=headers, timeout=60)
            statuses[door, response.status_code] += 1
    assert statuses == {
        ("api", 200): 10, ("api", 429): 10, ("scim", 200): 10, ("scim", 429): 10
    }
