"""The independent SCIM conformance checker, scim2-tester (what `scim test` of scim2-cli runs),
in its default configuration against the live server: every check must be SUCCESS.

The checker learns the server from /ServiceProviderConfig, /ResourceTypes and /Schemas and
then creates, reads, lists, searches, replaces, patches and deletes Users and Groups with
random values: random UUIDs as userName, displayName and externalId, random names, titles,
departments and managers. Nothing is adapted for it: it is run in-process (`check_server`,
the function `scim test` calls, with its defaults) only so that the live server of the test
serves it, within SCIM's default budget per token (ORGDESIGN_SCIM_RATE, not raised here): the
run is about 700 requests, more than the API's 600 a minute, which it once shared.
"""

import time
from collections import Counter

import pytest
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import CheckResult, Status, check_server

from orgdesign.web import ratelimit
from teams.tokens import token_create
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def summary(results: list[CheckResult]) -> str:
    counts = Counter(result.status.name for result in results)
    lines = [", ".join(f"{count} {status}" for status, count in sorted(counts.items()))]
    lines += [
        f"{r.status.name} {r.resource_type or '-'} {r.title}: {r.reason}"
        for r in results
        if r.status != Status.SUCCESS
    ]
    return "\n".join(lines)


def test_scim2_tester_finds_the_server_conformant(live_server, monkeypatch):
    assert ratelimit.scim_rate() == ratelimit.SimpleRateThrottle.parse_rate(
        None, ratelimit.DEFAULT_SCIM_RATE
    ), "the checker runs within SCIM's default budget"
    verdicts = []
    counted = ratelimit.hit_scim

    def hit_scim(key):
        verdicts.append(counted(key))
        return verdicts[-1]

    monkeypatch.setattr(ratelimit, "hit_scim", hit_scim)
    organisation = OrganisationFactory()
    _, key = token_create(organisation=organisation, name="scim2-tester", scope="write")
    started = time.monotonic()
    # Closed before the live server stops, so that no kept-alive connection outlives it.
    with Client(
        base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {key}"}
    ) as http:
        client = SyncSCIMClient(http)
        client.discover()
        results = check_server(client)
    elapsed = time.monotonic() - started
    print(f"\nscim2-tester: {len(results)} checks, {len(verdicts)} requests in {elapsed:.1f} s"
          f"\n{summary(results)}")
    # Every request was counted against the budget, none refused, and a whole run fits in one
    # minute's budget however fast the server answers.
    limit, _ = ratelimit.scim_rate()
    assert verdicts and all(verdict.allowed for verdict in verdicts)
    assert len(verdicts) < limit

    not_success = [result for result in results if result.status != Status.SUCCESS]
    assert not_success == [], summary(results)
    # The attributes the design keeps as sent were all written, read back and removed: a
    # plain userName, the name parts, the userType, the HR department, the Group's
    # externalId. (An attribute published read only would be skipped by the checker, not
    # failed.)
    done = {(r.resource_type, r.reason) for r in results}
    department = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
    for expected in [
        ("User", "Successfully replaced attribute 'userName'"),
        ("User", "Successfully added attribute 'name'"),
        ("User", "Successfully removed attribute 'name'"),
        ("User", "Successfully added attribute 'userType'"),
        ("User", "Successfully replaced attribute 'userType'"),
        ("User", "Successfully removed attribute 'userType'"),
        ("User", f"Successfully added attribute '{department}'"),
        ("User", f"Successfully removed attribute '{department}'"),
        ("User", f"Successfully replaced attribute '{department}'"),
        ("Group", "Successfully added attribute 'externalId'"),
        ("Group", "Successfully removed attribute 'externalId'"),
    ]:
        assert expected in done, expected
    # Discovery, Users and Groups were all exercised.
    assert Counter(r.resource_type for r in results if r.status == Status.SUCCESS).keys() >= {
        None, "User", "Group"
    }
