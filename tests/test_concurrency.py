"""Writes racing each other on PostgreSQL, each on its own connection (a thread per request,
started together at a barrier): the loser of a race for a unique value gets the answer it
would have had a moment later, never a 500; If-Match lets one of two writers through; two
manager changes that would close a loop together cannot both succeed."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from teams.models import Person
from teams.tokens import token_create
from tests.api_helpers import api_url
from tests.factories import OrganisationFactory, PersonFactory
from tests.scim_client import Scim
from tests.servers import needs_postgresql

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]


def together(requests_to_make) -> list:
    """Run the callables at once, each in a thread with its own database connection."""
    barrier = threading.Barrier(len(requests_to_make))
    results: list = [None] * len(requests_to_make)

    def run(index, make):
        try:
            barrier.wait(timeout=30)
            results[index] = make()
        except Exception as error:  # noqa: BLE001 - reported by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, make))
               for i, make in enumerate(requests_to_make)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def api_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def org_and_key(unthrottled):
    organisation = OrganisationFactory()
    _, key = token_create(organisation=organisation, name="hr", scope="write")
    return organisation, key


def test_four_creates_of_the_same_external_id_make_one_person(org_and_key):
    organisation, key = org_and_key
    url = api_url(organisation, "people/")
    answers = together([
        lambda n=n: api_client(key).post(url, {"name": f"Ada {n}", "external_id": "HR-1"},
                                         format="json")
        for n in range(4)
    ])
    statuses = Counter(getattr(answer, "status_code", repr(answer)) for answer in answers)
    assert statuses == {201: 1, 400: 3}, statuses
    for answer in answers:
        if answer.status_code == 400:
            assert answer.json() == {
                "external_id": ["Someone in this organisation already has this external id."]
            }
    assert Person.objects.filter(organisation=organisation, external_id="HR-1").count() == 1


def test_four_syncs_creating_the_same_people_never_fail_with_500(org_and_key):
    organisation, key = org_and_key
    url = api_url(organisation, "people/sync/")
    batch = {"people": [{"external_id": f"E{n}", "name": f"P{n}"} for n in range(50)]}
    answers = together([lambda: api_client(key).post(url, batch, format="json")] * 4)
    statuses = [getattr(answer, "status_code", repr(answer)) for answer in answers]
    assert all(status in (200, 400, 409) for status in statuses), statuses
    assert 200 in statuses
    assert Person.objects.filter(organisation=organisation).count() == 50


def test_four_scim_creates_of_the_same_user_name_make_one_user(org_and_key):
    organisation, key = org_and_key
    answers = together([
        lambda: Scim(key).post("Users", {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "jsmith",
        })
    ] * 4)
    statuses = Counter(getattr(answer, "status_code", repr(answer)) for answer in answers)
    assert statuses == {201: 1, 409: 3}, statuses
    assert Person.objects.filter(organisation=organisation).count() == 1


def test_if_match_lets_one_of_two_writers_through(org_and_key):
    organisation, key = org_and_key
    person = PersonFactory(organisation=organisation, title="Engineer")
    url = api_url(organisation, f"people/{person.pk}/")
    etag = api_client(key).get(url)["ETag"]
    answers = together([
        lambda title=title: api_client(key).patch(url, {"title": title}, format="json",
                                                  HTTP_IF_MATCH=etag)
        for title in ("Lead", "Principal")
    ])
    statuses = sorted(getattr(answer, "status_code", repr(answer)) for answer in answers)
    assert statuses == [200, 412], statuses
    person.refresh_from_db()
    winner = next(a for a in answers if a.status_code == 200).json()["title"]
    assert person.title == winner


def test_two_manager_changes_that_would_close_a_loop_cannot_both_succeed(org_and_key):
    organisation, key = org_and_key
    ada = PersonFactory(organisation=organisation)
    bob = PersonFactory(organisation=organisation)
    answers = together([
        lambda: api_client(key).patch(api_url(organisation, f"people/{ada.pk}/"),
                                      {"manager": bob.pk}, format="json"),
        lambda: api_client(key).patch(api_url(organisation, f"people/{bob.pk}/"),
                                      {"manager": ada.pk}, format="json"),
    ])
    statuses = sorted(getattr(answer, "status_code", repr(answer)) for answer in answers)
    assert statuses == [200, 400], statuses
    ada.refresh_from_db()
    bob.refresh_from_db()
    assert not (ada.manager_id == bob.pk and bob.manager_id == ada.pk)


def test_two_editors_of_one_cell_who_saw_it_empty_cannot_both_write(org_and_key):
    """The stale check of a matrix cell is made by the service under the lock of the write:
    of two writes that both saw the cell empty, one is refused with what the other wrote."""
    from pipelines import services as pipeline_services
    from pipelines.models import Engagement
    from tests.factories import PipelineFactory, TeamFactory

    organisation, _ = org_and_key
    pipeline = PipelineFactory(organisation=organisation)
    team = TeamFactory(organisation=organisation)

    def write(role):
        return lambda: pipeline_services.engagement_set(
            pipeline=pipeline, team=team, role=role, expected=""
        )

    results = together([write("owner"), write("contributor")])
    refused = [r for r in results if isinstance(r, pipeline_services.CellChanged)]
    written = [r for r in results if isinstance(r, Engagement)]
    assert (len(written), len(refused)) == (1, 1), results
    assert refused[0].current == written[0].role
    assert Engagement.objects.get(pipeline=pipeline, team=team).role == written[0].role
