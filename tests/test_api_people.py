"""API v1: the organisation and its people (docs/design.md section 4), and the people sync's
door."""

from datetime import timedelta

import pytest
from django.utils import timezone

from teams.models import Person
from tests.api_helpers import api_url
from tests.factories import MembershipFactory, PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db

PERSON_FIELDS = {
    "id", "external_id", "name", "email", "title", "department", "role", "manager",
    "manager_external_id", "dotted_line_managers", "active", "worker_type", "level",
    "updated_at",
}


# The organisation ---------------------------------------------------------------------------


def test_the_organisation_answers_its_settings_and_an_etag(reader, org):
    response = reader.get(api_url(org))
    assert response.status_code == 200
    assert response.json() == {
        "id": org.id,
        "slug": "acme",
        "name": "Acme",
        "ml_head": None,
        "span_max": 10,
        "layers_max": 6,
        "updated_at": response.json()["updated_at"],
    }
    assert response["ETag"] == f'"{org.updated_at.isoformat()}"'


def test_patching_the_organisation_sets_its_ml_head_and_records_the_token(writer, org):
    head = PersonFactory(organisation=org)
    response = writer.patch(api_url(org), {"ml_head": head.id, "span_max": 8})
    assert response.status_code == 200, response.json()
    assert (response.json()["ml_head"], response.json()["span_max"]) == (head.id, 8)
    org.refresh_from_db()
    assert (org.ml_head, org.span_max) == (head, 8)
    assert (org.updated_by_token, org.updated_via) == (writer.token, "api")


def test_the_ml_head_must_be_someone_of_the_organisation(writer, org):
    stranger = PersonFactory()
    response = writer.patch(api_url(org), {"ml_head": stranger.id})
    assert response.status_code == 400
    assert "ml_head" in response.json()


def test_the_organisation_refuses_a_stale_if_match_and_keeps_its_name(writer, org):
    etag = writer.get(api_url(org))["ETag"]
    writer.patch(api_url(org), {"name": "Acme ML"}, HTTP_IF_MATCH=etag)
    response = writer.patch(api_url(org), {"name": "Too late"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    org.refresh_from_db()
    assert org.name == "Acme ML"


# Reading people -----------------------------------------------------------------------------


def test_a_person_has_the_fields_of_the_contract(reader, org):
    boss = PersonFactory(organisation=org, external_id="B1")
    mentor = PersonFactory(organisation=org)
    person = PersonFactory(organisation=org, manager=boss, role="scientist")
    person.dotted_line_managers.set([mentor])
    response = reader.get(api_url(org, f"people/{person.id}/"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PERSON_FIELDS
    assert body["manager"] == boss.id
    assert body["manager_external_id"] == "B1"
    assert body["dotted_line_managers"] == [mentor.id]
    assert body["role"] == "scientist"
    assert response["ETag"] == f'"{person.updated_at.isoformat()}"'


def test_a_person_reads_as_drf_would_read_the_declared_fields(reader, org):
    """PersonSerializer reads a person without DRF's field machinery (a page of 100 is the
    budget of issue 16): the answer is what DRF's own reading gives, field for field."""
    from rest_framework import serializers

    from teams.serializers import PersonSerializer

    boss = PersonFactory(organisation=org, external_id="B1", title="Boss & <co>")
    mentor, other = PersonFactory(organisation=org), PersonFactory(organisation=org)
    person = PersonFactory(organisation=org, manager=boss, role="scientist", department="R&D",
                           active=False)
    person.dotted_line_managers.set([mentor, other])
    for each in (boss, person, mentor):
        each = Person.objects.prefetch_related("dotted_line_managers").get(pk=each.pk)
        fast = PersonSerializer(each).data
        drf = serializers.ModelSerializer.to_representation(PersonSerializer(each), each)
        assert dict(fast) == dict(drf)
    listed = reader.get(api_url(org, "people/"), {"external_id": person.external_id}).json()
    assert listed["results"][0]["dotted_line_managers"] == sorted([mentor.id, other.id])


def test_a_listed_person_reads_as_the_same_person_alone(reader, org):
    """A page reads managers and dotted lines its own way (teams.api.PersonViewSet): each
    listed person is the person read alone, dotted lines in the same order (by name)."""
    zed = PersonFactory(organisation=org, name="Zed", external_id="Z1")
    amy = PersonFactory(organisation=org, name="Amy", external_id="A1")
    someone = PersonFactory(organisation=org, name="Mia", manager=zed)
    someone.dotted_line_managers.set([zed, amy])
    PersonFactory(organisation=org, name="Ned", manager=amy).dotted_line_managers.set([zed])
    listed = reader.get(api_url(org, "people/")).json()["results"]
    assert len(listed) == 4
    for person in listed:
        assert person == reader.get(api_url(org, f"people/{person['id']}/")).json()
    mia = next(person for person in listed if person["name"] == "Mia")
    assert mia["dotted_line_managers"] == [amy.id, zed.id]
    assert mia["manager_external_id"] == "Z1"


def test_people_are_listed_a_page_at_a_time(reader, org):
    for n in range(5):
        PersonFactory(organisation=org, name=f"P{n}")
    first = reader.get(api_url(org, "people/"), {"page_size": 2}).json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 5
    assert [p["name"] for p in first["results"]] == ["P0", "P1"]
    assert first["previous"] is None
    second = reader.get(first["next"]).json()
    assert [p["name"] for p in second["results"]] == ["P2", "P3"]
    assert second["previous"]


def test_an_unknown_page_is_not_found(reader, org):
    assert reader.get(api_url(org, "people/"), {"page": 9}).status_code == 404


def test_people_are_filtered_by_external_id_email_team_and_active(reader, org):
    alice = PersonFactory(organisation=org, external_id="A1", email="Alice@Example.com")
    bob = PersonFactory(organisation=org, external_id="B2", active=False)
    team = TeamFactory(organisation=org)
    MembershipFactory(person=bob, team=team)
    PersonFactory(organisation=org)

    def ids(**query):
        response = reader.get(api_url(org, "people/"), query)
        assert response.status_code == 200
        return [person["id"] for person in response.json()["results"]]

    assert ids(external_id="A1") == [alice.id]
    assert ids(email="alice@example.COM") == [alice.id]
    assert ids(team=team.id) == [bob.id]
    assert ids(active="false") == [bob.id]
    assert bob.id not in ids(active="true")


def test_people_are_filtered_by_updated_since(reader, org):
    old = PersonFactory(organisation=org)
    new = PersonFactory(organisation=org)
    Person.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    response = reader.get(api_url(org, "people/"), {"updated_since": since})
    assert [person["id"] for person in response.json()["results"]] == [new.id]


def test_a_malformed_updated_since_is_refused(reader, org):
    response = reader.get(api_url(org, "people/"), {"updated_since": "yesterday"})
    assert response.status_code == 400
    assert "updated_since" in response.json()


def test_people_are_ordered_by_name_unless_asked_otherwise(reader, org):
    PersonFactory(organisation=org, name="Zoe", external_id="1")
    PersonFactory(organisation=org, name="Adam", external_id="2")
    by_name = reader.get(api_url(org, "people/")).json()["results"]
    assert [p["name"] for p in by_name] == ["Adam", "Zoe"]
    by_id_desc = reader.get(api_url(org, "people/"), {"ordering": "-external_id"}).json()
    assert [p["name"] for p in by_id_desc["results"]] == ["Adam", "Zoe"]
    by_external_id = reader.get(api_url(org, "people/"), {"ordering": "external_id"}).json()
    assert [p["name"] for p in by_external_id["results"]] == ["Zoe", "Adam"]


# Writing people -----------------------------------------------------------------------------


def test_it_creates_a_person_with_a_manager_named_by_external_id(writer, org):
    boss = PersonFactory(organisation=org, external_id="B1")
    response = writer.post(
        api_url(org, "people/"),
        {"external_id": "N1", "name": "Nina", "email": "nina@example.com",
         "role": "scientist", "manager_external_id": "B1"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["manager"], body["manager_external_id"]) == (boss.id, "B1")
    assert response["ETag"]
    nina = Person.objects.get(pk=body["id"])
    assert (nina.organisation, nina.manager, nina.role) == (org, boss, "scientist")
    assert (nina.updated_by_token, nina.updated_via) == (writer.token, "api")


def test_it_refuses_a_manager_external_id_nobody_has(writer, org):
    response = writer.post(
        api_url(org, "people/"), {"name": "Nina", "manager_external_id": "nobody"}
    )
    assert response.status_code == 400
    assert "nobody" in response.json()["manager_external_id"][0]
    assert not Person.objects.filter(name="Nina").exists()


def test_manager_and_manager_external_id_must_agree(writer, org):
    boss = PersonFactory(organisation=org, external_id="B1")
    other = PersonFactory(organisation=org)
    response = writer.post(
        api_url(org, "people/"),
        {"name": "Nina", "manager": other.id, "manager_external_id": boss.external_id},
    )
    assert response.status_code == 400
    assert "manager_external_id" in response.json()


def test_it_refuses_a_manager_change_that_would_close_a_loop_and_names_the_chain(writer, org):
    ceo = PersonFactory(organisation=org, name="Ceo")
    vp = PersonFactory(organisation=org, name="Vee Pee", manager=ceo)
    lead = PersonFactory(organisation=org, name="Lee Dee", manager=vp)
    response = writer.patch(api_url(org, f"people/{ceo.id}/"), {"manager": lead.id})
    assert response.status_code == 400
    message = response.json()["manager"][0]
    for name in ("Ceo", "Vee Pee", "Lee Dee"):
        assert name in message
    ceo.refresh_from_db()
    assert ceo.manager is None


def test_a_manager_from_another_organisation_reads_as_unknown(writer, org):
    stranger = PersonFactory()
    response = writer.post(api_url(org, "people/"), {"name": "Nina", "manager": stranger.id})
    assert response.status_code == 400
    assert "manager" in response.json()
    assert "another organisation" not in str(response.json())


def test_a_taken_external_id_is_refused_on_its_field(writer, org):
    PersonFactory(organisation=org, external_id="E1")
    response = writer.post(api_url(org, "people/"), {"name": "Twin", "external_id": "E1"})
    assert response.status_code == 400
    assert list(response.json()) == ["external_id"]


def test_a_person_needs_a_name_and_a_known_role(writer, org):
    response = writer.post(api_url(org, "people/"), {"role": "wizard"})
    assert response.status_code == 400
    assert {"name", "role"} <= set(response.json())


def test_dotted_line_managers_are_set_by_id(writer, org):
    person = PersonFactory(organisation=org)
    mentors = [PersonFactory(organisation=org) for _ in range(2)]
    response = writer.patch(
        api_url(org, f"people/{person.id}/"),
        {"dotted_line_managers": [m.id for m in mentors]},
    )
    assert response.status_code == 200, response.json()
    assert sorted(response.json()["dotted_line_managers"]) == sorted(m.id for m in mentors)
    assert set(person.dotted_line_managers.all()) == set(mentors)


def test_put_replaces_the_fields_it_is_given(writer, org):
    person = PersonFactory(organisation=org, title="Engineer")
    response = writer.put(
        api_url(org, f"people/{person.id}/"),
        {"name": "Renamed", "external_id": person.external_id, "title": "Lead",
         "role": "tech_lead"},
    )
    assert response.status_code == 200, response.json()
    person.refresh_from_db()
    assert (person.name, person.title, person.role) == ("Renamed", "Lead", "tech_lead")


def test_deleting_a_person_deactivates_them(writer, org):
    person = PersonFactory(organisation=org)
    response = writer.delete(api_url(org, f"people/{person.id}/"))
    assert response.status_code == 204
    person.refresh_from_db()
    assert person.active is False
    assert (person.updated_by_token, person.updated_via) == (writer.token, "api")
    assert writer.get(api_url(org, f"people/{person.id}/")).json()["active"] is False


def test_a_stale_if_match_answers_412_and_changes_nothing(writer, org):
    person = PersonFactory(organisation=org, title="Engineer")
    etag = writer.get(api_url(org, f"people/{person.id}/"))["ETag"]
    # Someone else changes the person meanwhile.
    assert writer.patch(api_url(org, f"people/{person.id}/"), {"title": "Lead"}).status_code == 200

    url = api_url(org, f"people/{person.id}/")
    assert writer.patch(url, {"title": "Mine"}, HTTP_IF_MATCH=etag).status_code == 412
    assert writer.put(url, {"name": "Mine"}, HTTP_IF_MATCH=etag).status_code == 412
    assert writer.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    person.refresh_from_db()
    assert (person.title, person.name, person.active) == ("Lead", person.name, True)


def test_the_current_if_match_lets_the_write_through_and_answers_the_new_etag(writer, org):
    person = PersonFactory(organisation=org)
    url = api_url(org, f"people/{person.id}/")
    etag = writer.get(url)["ETag"]
    response = writer.patch(url, {"title": "Lead"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    person.refresh_from_db()
    assert response["ETag"] == f'"{person.updated_at.isoformat()}"' != etag
    assert writer.delete(url, HTTP_IF_MATCH=response["ETag"]).status_code == 204


def test_a_change_between_the_check_and_the_write_answers_412(writer, org, monkeypatch):
    """Someone else writes after the If-Match check: the service's locked check sees it."""
    from orgdesign.api import views as api_views

    person = PersonFactory(organisation=org)
    url = api_url(org, f"people/{person.id}/")
    etag = writer.get(url)["ETag"]
    real_check = api_views.expected_version

    def check_then_someone_else_writes(request, instance):
        expected = real_check(request, instance)
        Person.objects.filter(pk=person.pk).update(
            title="Theirs", updated_at=timezone.now() + timedelta(seconds=1)
        )
        return expected

    monkeypatch.setattr(api_views, "expected_version", check_then_someone_else_writes)
    assert writer.patch(url, {"title": "Mine"}, HTTP_IF_MATCH=etag).status_code == 412
    person.refresh_from_db()
    assert person.title == "Theirs"


# The people sync ----------------------------------------------------------------------------


def test_the_sync_creates_people_from_an_hr_batch(writer, org):
    batch = {
        "mode": "delta",
        "people": [
            {"external_id": "R1", "name": "Report", "manager_external_id": "M1"},
            {"external_id": "M1", "name": "Manager"},
        ],
    }
    response = writer.post(api_url(org, "people/sync/"), batch)
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "created": 2, "updated": 0, "deactivated": 0, "unchanged": 0, "errors": []
    }
    report = Person.objects.get(organisation=org, external_id="R1")
    assert report.manager.external_id == "M1"
    assert report.updated_via == "api"


def test_a_sync_with_a_bad_record_answers_400_with_its_index(writer, org):
    response = writer.post(
        api_url(org, "people/sync/"),
        {"people": [{"external_id": "X1", "name": "X", "role": "wizard"}]},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["index"] == 0
    assert not Person.objects.filter(organisation=org).exists()


@pytest.mark.parametrize(
    ("envelope", "field"),
    [
        ({"mode": "merge", "people": []}, "mode"),
        ({"people": {"external_id": "X"}}, "people"),
        ({"dry_run": "perhaps", "people": []}, "dry_run"),
        ({}, "people"),
        ({"people": [], "peple": []}, "peple"),
    ],
)
def test_the_sync_refuses_a_malformed_envelope(writer, org, envelope, field):
    response = writer.post(api_url(org, "people/sync/"), envelope)
    assert response.status_code == 400
    assert field in response.json()


def test_a_record_that_is_not_an_object_is_refused_by_the_sync_with_its_index(writer, org):
    response = writer.post(api_url(org, "people/sync/"), {"people": [
        {"external_id": "E1", "name": "Ada"}, "not an object",
    ]})
    assert response.status_code == 400
    assert response.json()["created"] == 0  # a refused batch wrote nothing
    assert response.json()["errors"] == [{
        "index": 1, "external_id": None,
        "errors": {"non_field_errors": ["Each person must be an object."]},
    }]


def test_the_sync_needs_a_write_token(reader, org):
    response = reader.post(api_url(org, "people/sync/"), {"people": []})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("since", "found"),
    [
        ("2000-01-01T00:00:00-19:04", True),  # an offset PostgreSQL would refuse
        ("0001-01-01T00:00:00+23:00", True),  # before year 1 in UTC
        ("9999-12-31T23:00:00-23:00", False),  # after 9999 in UTC
    ],
)
def test_updated_since_takes_any_iso_offset(reader, org, since, found):
    person = PersonFactory(organisation=org)
    response = reader.get(api_url(org, "people/"), {"updated_since": since})
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == ([person.id] if found else [])


def test_an_organisation_limit_below_one_is_refused_next_to_its_field(writer, org):
    response = writer.patch(api_url(org), {"span_max": 0, "layers_max": 0})
    assert response.status_code == 400
    assert response.json() == {
        "span_max": ["The widest span must be at least 1."],
        "layers_max": ["The deepest chain must be at least 1 layer."],
    }
