"""A person's worker type and level, and an engagement's effort (docs/design.md sections 1 and 4),
through every door: the browser's person forms and pages, the API's people/ and people/sync,
SCIM's userType, people.csv (export and import), the admin, the API's engagements/ and the
pipeline page's effort form; each bad value refused with nothing written, and history
recording and restoring them."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orgdesign.history.services import record_of, restore
from pipelines import services as pipeline_services
from pipelines.models import Engagement, Pipeline
from teams import services
from teams.actor import SYSTEM
from teams.models import Person, WorkerType
from teams.scim.schemas import CORE_USER
from teams.tokens import token_create
from tests.api_helpers import api_url, token_client
from tests.factories import (
    EngagementFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    UserFactory,
    client_for,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
CONTRACTOR, EMPLOYEE = WorkerType.CONTRACTOR.value, WorkerType.EMPLOYEE.value
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def people_state(organisation) -> list[tuple]:
    return sorted(
        Person.objects.filter(organisation=organisation).values_list(
            "external_id", "name", "worker_type", "user_type", "level", "updated_at"
        )
    )


# The browser ----------------------------------------------------------------------------------


def edit_data(person: Person, **changes) -> dict:
    data = {
        "name": person.name, "external_id": person.external_id, "email": person.email,
        "title": person.title, "role": person.role, "worker_type": person.worker_type,
        "level": person.level, "manager": person.manager_id or "", "active": "on",
        "version": services.version_of(person),
    }
    data.update(changes)
    return data


def test_the_browser_creates_a_contractor_with_a_level(org):
    editor = client_for(org, "editor")
    page = editor.get("/orgs/acme/people/").content.decode()
    assert 'name="worker_type"' in page and 'name="level"' in page
    response = editor.post("/orgs/acme/people/new/", {
        "name": "Carla Vendor", "role": "ml_engineer", "worker_type": CONTRACTOR, "level": "L4",
    }, **HTMX)
    assert response.status_code == 200, response.content[:500]
    carla = Person.objects.get(organisation=org, name="Carla Vendor")
    assert (carla.worker_type, carla.level, carla.user_type) == (CONTRACTOR, "L4", "")
    plain = editor.post("/orgs/acme/people/new/", {"name": "Eve", "role": "other"}, **HTMX)
    assert plain.status_code == 200
    eve = Person.objects.get(organisation=org, name="Eve")
    assert (eve.worker_type, eve.level) == (EMPLOYEE, "")


def test_the_browser_edits_the_worker_type_and_level_and_the_pages_show_them(org):
    person = PersonFactory(organisation=org, name="Ada", title="Scientist")
    editor = client_for(org, "editor")
    response = editor.post(f"/orgs/acme/people/{person.pk}/edit/",
                           edit_data(person, worker_type=CONTRACTOR, level="L5"), **HTMX)
    assert response.status_code == 200, response.content[:500]
    content = response.content.decode()
    assert "Saved." in content and 'data-worker-type="contractor"' in content
    person.refresh_from_db()
    assert (person.worker_type, person.level) == (CONTRACTOR, "L5")

    detail = editor.get(f"/orgs/acme/people/{person.pk}/").content.decode()
    badge = '<span class="marker contractor" data-worker-type="contractor">Contractor</span>'
    assert badge in detail
    assert 'data-level="L5"' in detail
    assert '<option value="contractor" selected>' in detail
    listing = client_for(org, "viewer").get("/orgs/acme/people/").content.decode()
    assert 'data-worker-type="contractor"' in listing and 'data-level="L5"' in listing

    back = editor.post(f"/orgs/acme/people/{person.pk}/edit/",
                       edit_data(person, worker_type="employee", level=""))
    assert back.status_code == 302
    person.refresh_from_db()
    assert (person.worker_type, person.level) == (EMPLOYEE, "")
    assert 'data-worker-type' not in editor.get("/orgs/acme/people/").content.decode()


def test_an_edit_without_the_new_fields_keeps_them(org):
    # A page drawn before the fields existed: neither is asked for.
    person = PersonFactory(organisation=org, worker_type=CONTRACTOR, level="L6")
    data = edit_data(person, title="Lead")
    del data["worker_type"], data["level"]
    response = client_for(org, "editor").post(f"/orgs/acme/people/{person.pk}/edit/", data)
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.title, person.worker_type, person.level) == ("Lead", CONTRACTOR, "L6")


@pytest.mark.parametrize(("changes", "field"), [
    ({"worker_type": "intern"}, "worker_type"),
    ({"level": "L" * 21}, "level"),
], ids=["unknown worker type", "level of 21 characters"])
def test_the_browser_refuses_bad_values_next_to_the_field(org, changes, field):
    person = PersonFactory(organisation=org, level="L3")
    before = people_state(org)
    editor = client_for(org, "editor")
    response = editor.post(f"/orgs/acme/people/{person.pk}/edit/",
                           edit_data(person, **changes), **HTMX)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    created = editor.post("/orgs/acme/people/new/",
                          {"name": "New", "role": "other", **changes}, **HTMX)
    assert created.status_code == 400
    assert created.context["form"].errors[field]
    assert people_state(org) == before


# The API: people/ ---------------------------------------------------------------------------


def test_the_api_creates_patches_and_lists_the_worker_type_and_level(org):
    api = token_client(org)
    created = api.post(api_url(org, "people/"), {
        "name": "Carla", "external_id": "C1", "worker_type": "contractor", "level": "L4",
    }, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["worker_type"], created.json()["level"]) == ("contractor", "L4")
    plain = api.post(api_url(org, "people/"), {"name": "Eve", "external_id": "E1"},
                     format="json")
    assert (plain.json()["worker_type"], plain.json()["level"]) == ("employee", "")

    carla = Person.objects.get(pk=created.json()["id"])
    changed = api.patch(api_url(org, f"people/{carla.pk}/"),
                        {"worker_type": "employee", "level": "L5"}, format="json")
    assert changed.status_code == 200, changed.content
    carla.refresh_from_db()
    assert (carla.worker_type, carla.level) == (EMPLOYEE, "L5")
    assert carla.history.first().worker_type == EMPLOYEE  # recorded by history

    api.patch(api_url(org, f"people/{carla.pk}/"), {"worker_type": "contractor"}, format="json")
    listed = api.get(api_url(org, "people/")).json()["results"]
    assert {(p["external_id"], p["worker_type"], p["level"]) for p in listed} == {
        ("C1", "contractor", "L5"), ("E1", "employee", ""),
    }
    only = api.get(api_url(org, "people/"), {"worker_type": "contractor"}).json()["results"]
    assert [p["external_id"] for p in only] == ["C1"]
    by_level = api.get(api_url(org, "people/"), {"level": "L5"}).json()["results"]
    assert [p["external_id"] for p in by_level] == ["C1"]


@pytest.mark.parametrize(("body", "field"), [
    ({"worker_type": "Contractor"}, "worker_type"),  # JSON takes the values, as for roles
    ({"worker_type": "intern"}, "worker_type"),
    ({"worker_type": 1}, "worker_type"),
    ({"worker_type": None}, "worker_type"),
    ({"level": "L" * 21}, "level"),
    ({"level": 5}, "level"),
], ids=["label", "unknown", "number", "null", "21 characters", "number level"])
def test_the_api_refuses_bad_values_and_writes_nothing(org, body, field):
    person = PersonFactory(organisation=org, external_id="P1", level="L3")
    api = token_client(org)
    before = people_state(org)
    patched = api.patch(api_url(org, f"people/{person.pk}/"), body, format="json")
    assert patched.status_code == 400
    assert field in patched.json()
    created = api.post(api_url(org, "people/"), {"name": "New", **body}, format="json")
    assert created.status_code == 400
    assert field in created.json()
    assert people_state(org) == before


# The API: people/sync -----------------------------------------------------------------------


def test_people_sync_takes_the_worker_type_and_level(org):
    api = token_client(org)
    url = api_url(org, "people/sync/")
    first = api.post(url, {"people": [
        {"external_id": "C1", "name": "Carla", "worker_type": "contractor", "level": "L4"},
        {"external_id": "E1", "name": "Eve"},
    ]}, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["created"] == 2
    people = {p.external_id: p for p in Person.objects.filter(organisation=org)}
    assert (people["C1"].worker_type, people["C1"].level) == (CONTRACTOR, "L4")
    assert (people["E1"].worker_type, people["E1"].level) == (EMPLOYEE, "")

    again = api.post(url, {"people": [
        {"external_id": "C1", "worker_type": "contractor", "level": "L4"},
    ]}, format="json")
    assert again.json()["unchanged"] == 1
    moved = api.post(url, {"people": [
        {"external_id": "C1", "worker_type": None, "level": None},  # null: employee, no level
        {"external_id": "E1", "worker_type": "contractor", "level": " L2 "},
    ]}, format="json")
    assert moved.json()["updated"] == 2, moved.content
    people = {p.external_id: p for p in Person.objects.filter(organisation=org)}
    assert (people["C1"].worker_type, people["C1"].level) == (EMPLOYEE, "")
    assert (people["E1"].worker_type, people["E1"].level) == (CONTRACTOR, "L2")
    assert people["E1"].history.first().level == "L2"


def test_people_sync_refuses_bad_worker_types_and_levels_with_nothing_written(org):
    PersonFactory(organisation=org, external_id="P1", level="L3")
    before = people_state(org)
    response = token_client(org).post(api_url(org, "people/sync/"), {"people": [
        {"external_id": "P1", "worker_type": "intern"},
        {"external_id": "N1", "name": "New", "level": "L" * 21},
        {"external_id": "N2", "name": "Other", "worker_type": "Contractor"},
        {"external_id": "N3", "name": "Fine", "worker_type": "contractor"},
    ]}, format="json")
    assert response.status_code == 400
    errors = {error["index"]: error["errors"] for error in response.json()["errors"]}
    assert set(errors) == {0, 1, 2}
    assert "worker_type" in errors[0] and "worker_type" in errors[2]
    assert errors[1] == {"level": ["At most 20 characters."]}
    assert people_state(org) == before


# SCIM ------------------------------------------------------------------------------------------


class Scim:
    def __init__(self, organisation):
        self.client = Client()
        key = token_create(organisation=organisation, name="Okta", scope="write")[1]
        self.headers = {"Authorization": f"Bearer {key}"}

    def send(self, method, path, body=None):
        kwargs = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/scim+json")
        return getattr(self.client, method)(f"/scim/v2/{path}", **kwargs)

    def patch(self, person, operations):
        return self.send("patch", f"Users/{person.pk}",
                         {"schemas": [PATCH_OP], "Operations": operations})


def scim_user(**fields) -> dict:
    return {"schemas": [CORE_USER], **fields}


@pytest.mark.parametrize(("user_type", "worker_type"), [
    ("Contractor", CONTRACTOR),
    ("Vendor", CONTRACTOR),
    ("Temp", CONTRACTOR),
    ("External", CONTRACTOR),
    ("contractor", CONTRACTOR),
    ("VENDOR", CONTRACTOR),
    ("Employee", EMPLOYEE),
    ("Intern", EMPLOYEE),
    ("Full-Time Staff", EMPLOYEE),
])
def test_scim_post_reads_the_user_type_and_keeps_it_as_sent(org, user_type, worker_type):
    scim = Scim(org)
    response = scim.send("post", "Users", scim_user(userName="jsmith", userType=user_type))
    assert response.status_code == 201, response.content
    assert response.json()["userType"] == user_type
    person = Person.objects.get(organisation=org, user_name="jsmith")
    assert (person.user_type, person.worker_type) == (user_type, worker_type)
    assert scim.send("get", f"Users/{person.pk}").json()["userType"] == user_type


def test_a_scim_user_created_without_user_type_has_none_and_is_an_employee(org):
    scim = Scim(org)
    response = scim.send("post", "Users", scim_user(userName="ann"))
    assert response.status_code == 201
    assert "userType" not in response.json()
    person = Person.objects.get(organisation=org, user_name="ann")
    assert (person.user_type, person.worker_type) == ("", EMPLOYEE)


def test_scim_put_sets_the_worker_type_and_removing_the_user_type_makes_an_employee(org):
    scim = Scim(org)
    person = PersonFactory(organisation=org, user_name="bob")
    put = scim.send("put", f"Users/{person.pk}", scim_user(userName="bob", userType="Vendor"))
    assert put.status_code == 200, put.content
    assert put.json()["userType"] == "Vendor"
    person.refresh_from_db()
    assert (person.user_type, person.worker_type) == ("Vendor", CONTRACTOR)
    # A PUT leaves out what it clears: the provider no longer says Vendor.
    cleared = scim.send("put", f"Users/{person.pk}", scim_user(userName="bob"))
    assert cleared.status_code == 200 and "userType" not in cleared.json()
    person.refresh_from_db()
    assert (person.user_type, person.worker_type) == ("", EMPLOYEE)


def test_scim_never_undoes_a_worker_type_it_did_not_give(org):
    # A contractor by the HR sync (no userType): an identity provider that never sends
    # userType keeps them a contractor, and they are served without one.
    scim = Scim(org)
    person = PersonFactory(organisation=org, user_name="carla", worker_type=CONTRACTOR)
    assert "userType" not in scim.send("get", f"Users/{person.pk}").json()
    put = scim.send("put", f"Users/{person.pk}", scim_user(userName="carla", title="Labeller"))
    assert put.status_code == 200
    patched = scim.patch(person, [{"op": "replace", "path": "title", "value": "Lead"}])
    assert patched.status_code == 200 and "userType" not in patched.json()
    person.refresh_from_db()
    assert (person.title, person.user_type, person.worker_type) == ("Lead", "", CONTRACTOR)


def test_scim_patch_writes_and_removes_the_user_type(org):
    scim = Scim(org)
    person = PersonFactory(organisation=org, user_name="dan")
    response = scim.patch(person, [{"op": "replace", "path": "userType", "value": "Temp"}])
    assert response.status_code == 200, response.content
    assert response.json()["userType"] == "Temp"
    person.refresh_from_db()
    assert (person.user_type, person.worker_type) == ("Temp", CONTRACTOR)
    # As Entra ID sends it: a path-less replace.
    scim.patch(person, [{"op": "replace", "value": {"userType": "Employee"}}])
    person.refresh_from_db()
    assert (person.user_type, person.worker_type) == ("Employee", EMPLOYEE)
    scim.patch(person, [{"op": "add", "path": "userType", "value": "external"}])
    person.refresh_from_db()
    assert (person.user_type, person.worker_type) == ("external", CONTRACTOR)
    found = scim.send("get", 'Users?filter=userType eq "EXTERNAL"').json()
    assert [user["id"] for user in found["Resources"]] == [str(person.pk)]
    removed = scim.patch(person, [{"op": "remove", "path": "userType"}])
    assert removed.status_code == 200 and "userType" not in removed.json()
    person.refresh_from_db()
    assert (person.user_type, person.worker_type) == ("", EMPLOYEE)


def test_scim_refuses_a_user_type_longer_than_kept_and_writes_nothing(org):
    scim = Scim(org)
    person = PersonFactory(organisation=org, user_name="eve")
    before = people_state(org)
    posted = scim.send("post", "Users", scim_user(userName="new", userType="x" * 65))
    assert posted.status_code == 400
    assert posted.json()["scimType"] == "invalidValue"
    assert "userType" in posted.json()["detail"]
    patched = scim.patch(person, [{"op": "replace", "path": "userType", "value": "x" * 65}])
    assert patched.status_code == 400
    assert people_state(org) == before


def test_scim_publishes_the_user_type(org):
    user = Scim(org).send("get", f"Schemas/{CORE_USER}").json()
    attribute = next(a for a in user["attributes"] if a["name"] == "userType")
    assert attribute["mutability"] == "readWrite"


# people.csv ------------------------------------------------------------------------------------


def exported_rows(client, organisation) -> list[dict]:
    response = client.get(f"/orgs/{organisation.slug}/export/people.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def imported(client, data: bytes, name="people.csv"):
    return client.post("/orgs/acme/import/people/", {
        "file": SimpleUploadedFile(name, data, content_type="text/csv"), "mode": "delta",
    })


def apply(client, preview):
    outcome = preview.context["outcome"]
    assert not outcome.problems, outcome.problems
    assert outcome.ticket, "the preview offers no apply"
    return client.post("/orgs/acme/import/people/apply/", {"ticket": outcome.ticket})


def test_people_csv_exports_the_worker_type_and_level_last(org):
    PersonFactory(organisation=org, external_id="C1", worker_type=CONTRACTOR, level="L4")
    PersonFactory(organisation=org, external_id="E1")
    rows = exported_rows(client_for(org, "viewer"), org)
    assert list(rows[0]) == [
        "external_id", "name", "email", "title", "role", "manager_external_id", "active",
        "teams", "department", "worker_type", "level",
    ]
    by_id = {row["external_id"]: row for row in rows}
    assert (by_id["C1"]["worker_type"], by_id["C1"]["level"]) == ("contractor", "L4")
    assert (by_id["E1"]["worker_type"], by_id["E1"]["level"]) == ("employee", "")


def test_people_csv_round_trips_and_reads_worker_types_in_any_case(org):
    PersonFactory(organisation=org, external_id="C1", name="Carla",
                  worker_type=CONTRACTOR, level="L4")
    PersonFactory(organisation=org, external_id="E1", name="Eve")
    editor = client_for(org, "editor")
    exported = editor.get("/orgs/acme/export/people.csv")
    data = b"".join(exported.streaming_content)
    before = people_state(org)
    same = imported(editor, data)
    assert same.context["outcome"].state == "nothing"  # the export reads back as it is
    assert people_state(org) == before

    text = data.decode("utf-8-sig").replace(",contractor,L4", ",Employee,L5")
    text = text.replace(",employee,", ",CONTRACTOR,L2")
    text += "N1,Nia,,,other,,true,,,Contractor,L1\nN2,Ned,,,other,,true,,,,\n"
    assert apply(editor, imported(editor, text.encode())).status_code in (200, 302)
    state = {row[0]: row[2:5] for row in people_state(org)}
    assert state == {
        "C1": (EMPLOYEE, "", "L5"), "E1": (CONTRACTOR, "", "L2"),
        "N1": (CONTRACTOR, "", "L1"), "N2": (EMPLOYEE, "", ""),
    }


def test_a_roster_without_the_new_columns_keeps_them_and_hr_words_are_read(org):
    PersonFactory(organisation=org, external_id="C1", name="Carla",
                  worker_type=CONTRACTOR, level="L4")
    editor = client_for(org, "editor")
    apply(editor, imported(editor, b"external_id,name\nC1,Carla Vendor\n"))
    carla = Person.objects.get(organisation=org, external_id="C1")
    assert (carla.name, carla.worker_type, carla.level) == ("Carla Vendor", CONTRACTOR, "L4")
    roster = (
        b"Employee ID,Full Name,Employment Type,Job Level\n"
        b"C1,Carla Vendor,Full-Time,L5\n"
        b"W2,Walt Temp,Contingent Worker,\n"
    )
    apply(editor, imported(editor, roster, name="workday.csv"))
    state = {row[0]: row[2:5] for row in people_state(org)}
    assert state == {"C1": (EMPLOYEE, "", "L5"), "W2": (CONTRACTOR, "", "")}


def test_people_csv_refuses_bad_worker_types_and_levels_by_line_with_nothing_written(org):
    PersonFactory(organisation=org, external_id="E1", name="Eve", level="L3")
    editor = client_for(org, "editor")
    before = people_state(org)
    header = b"external_id,name,email,title,role,manager_external_id,active,teams,department,"
    data = header + (
        b"worker_type,level\n"
        b"E1,Eve,,,other,,true,,,Intern,L3\n"
        b"N1,Nia,,,other,,true,,,contractor,LLLLLLLLLLLLLLLLLLLLL\n"
        b"N2,Ned,,,other,,true,,,employee,L2\n"
    )
    response = imported(editor, data)
    problems = [(p.line, p.column, p.message) for p in response.context["outcome"].problems]
    assert problems == [
        (2, "worker_type", "worker_type: “Intern” is not a worker type; write Employee or "
         "Contractor."),
    ]
    assert response.context["outcome"].ticket in ("", None)
    # With the worker type fixed, the sync refuses the level, by line too.
    response = imported(editor, data.replace(b"Intern", b"employee"))
    problems = [(p.line, p.column, p.message) for p in response.context["outcome"].problems]
    assert problems == [(3, "level", "At most 20 characters.")]
    assert people_state(org) == before


# The admin --------------------------------------------------------------------------------------


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_shows_and_saves_the_new_fields(org, admin_client):
    person = PersonFactory(organisation=org, name="Ada")
    page = admin_client.get(f"/admin/teams/person/{person.pk}/change/").content.decode()
    assert 'name="worker_type"' in page and 'name="level"' in page
    assert 'name="user_type"' in page
    response = admin_client.post(f"/admin/teams/person/{person.pk}/change/", {
        "organisation": org.pk, "external_id": person.external_id, "name": "Ada",
        "email": person.email, "role": "other", "worker_type": CONTRACTOR, "user_type": "",
        "level": "L7", "manager": "", "active": "on",
    })
    assert response.status_code == 302, response.content[:1000]
    person.refresh_from_db()
    assert (person.worker_type, person.level) == (CONTRACTOR, "L7")
    assert person.updated_via == "admin"

    engagement = EngagementFactory(pipeline=PipelineFactory(organisation=org),
                                   team=TeamFactory(organisation=org))
    assert 'name="effort"' in admin_client.get(
        f"/admin/pipelines/engagement/{engagement.pk}/change/").content.decode()
    data = {"pipeline": engagement.pipeline_id, "team": engagement.team_id, "role": "owner"}
    saved = admin_client.post(f"/admin/pipelines/engagement/{engagement.pk}/change/",
                              {**data, "effort": "45"})
    assert saved.status_code == 302
    engagement.refresh_from_db()
    assert engagement.effort == 45
    refused = admin_client.post(f"/admin/pipelines/engagement/{engagement.pk}/change/",
                                {**data, "effort": "0"})
    assert refused.status_code == 200  # the form again, with the error
    engagement.refresh_from_db()
    assert engagement.effort == 45


# Effort: the API ----------------------------------------------------------------------------


@pytest.fixture
def cell(org):
    return EngagementFactory(pipeline=PipelineFactory(organisation=org, name="Search"),
                             team=TeamFactory(organisation=org, name="Ranking"),
                             role="contributor")


def test_the_api_sets_changes_and_clears_the_effort(org, cell):
    api = token_client(org)
    url = api_url(org, f"engagements/{cell.pk}/")
    assert api.get(url).json()["effort"] is None
    set_ = api.patch(url, {"effort": 40}, format="json")
    assert set_.status_code == 200, set_.content
    assert set_.json()["effort"] == 40
    cell.refresh_from_db()
    assert cell.effort == 40
    role = api.patch(url, {"role": "owner"}, format="json")  # the effort stays
    assert (role.json()["role"], role.json()["effort"]) == ("owner", 40)
    cleared = api.patch(url, {"effort": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["effort"] is None
    cell.refresh_from_db()
    assert (cell.role, cell.effort) == ("owner", None)
    assert [entry.effort for entry in cell.history.order_by("history_id")][-3:] == [
        40, 40, None
    ]

    other = TeamFactory(organisation=org)
    created = api.post(api_url(org, "engagements/"), {
        "pipeline": cell.pipeline_id, "team": other.pk, "role": "contributor", "effort": 100,
    }, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["effort"] == 100
    listed = api.get(api_url(org, "engagements/")).json()["results"]
    assert {(e["team"], e["effort"]) for e in listed} == {(cell.team_id, None), (other.pk, 100)}


@pytest.mark.parametrize("effort", [0, 101, -5, "50", True, 50.5, [50]],
                         ids=["0", "101", "negative", "text", "true", "decimal", "list"])
def test_the_api_refuses_a_bad_effort_and_writes_nothing(org, cell, effort):
    api = token_client(org)
    cell.effort = 30
    cell.save()
    version = cell.updated_at
    response = api.patch(api_url(org, f"engagements/{cell.pk}/"), {"effort": effort},
                         format="json")
    assert response.status_code == 400
    assert "effort" in response.json()
    cell.refresh_from_db()
    assert (cell.effort, cell.updated_at) == (30, version)
    other = TeamFactory(organisation=org)
    created = api.post(api_url(org, "engagements/"), {
        "pipeline": cell.pipeline_id, "team": other.pk, "role": "owner", "effort": effort,
    }, format="json")
    assert created.status_code == 400
    assert "effort" in created.json()
    assert not Engagement.objects.filter(team=other).exists()


def test_the_matrix_cell_changes_the_role_and_keeps_the_effort(org, cell):
    cell.effort = 25
    cell.save()
    response = client_for(org, "editor").post(
        f"/orgs/acme/cells/{cell.pipeline_id}/{cell.team_id}/",
        {"role": "owner", "expected": "contributor"}, **HTMX,
    )
    assert response.status_code == 200
    cell.refresh_from_db()
    assert (cell.role, cell.effort) == ("owner", 25)


# Effort: the pipeline's page --------------------------------------------------------------------


def effort_url(cell) -> str:
    return f"/orgs/acme/pipelines/{cell.pipeline_id}/teams/{cell.team_id}/effort/"


def test_the_pipeline_page_sets_and_clears_an_effort(org, cell):
    editor = client_for(org, "editor")
    page = editor.get(f"/orgs/acme/pipelines/{cell.pipeline_id}/").content.decode()
    assert f'hx-post="{effort_url(cell)}"' in page and 'name="effort"' in page
    response = editor.post(effort_url(cell), {
        "effort": "35", "version": services.version_of(cell),
    }, **HTMX)
    assert response.status_code == 200, response.content[:500]
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="pipeline-teams"')
    assert "Ranking gives 35% of its capacity." in content and 'value="35"' in content
    cell.refresh_from_db()
    assert (cell.role, cell.effort, cell.updated_via) == ("contributor", 35, "browser")

    cleared = editor.post(effort_url(cell), {"effort": "", "version": services.version_of(cell)})
    assert cleared.status_code == 302
    assert cleared["Location"] == f"/orgs/acme/pipelines/{cell.pipeline_id}/"
    cell.refresh_from_db()
    assert cell.effort is None
    viewer_page = client_for(org, "viewer").get(
        f"/orgs/acme/pipelines/{cell.pipeline_id}/").content.decode()
    assert 'name="effort"' not in viewer_page and "shares what is left" in viewer_page


@pytest.mark.parametrize("effort", ["0", "101", "abc", "12.5"])
def test_the_pipeline_page_refuses_a_bad_effort_beside_its_input(org, cell, effort):
    cell.effort = 20
    cell.save()
    editor = client_for(org, "editor")
    response = editor.post(effort_url(cell), {
        "effort": effort, "version": services.version_of(cell),
    }, **HTMX)
    assert response.status_code == 400
    content = response.content.decode()
    assert 'class="field-error" role="alert"' in content
    assert f'value="{effort}"' in content  # the refused value stays in its input
    cell.refresh_from_db()
    assert cell.effort == 20
    full = editor.post(effort_url(cell), {"effort": effort})  # without htmx: the whole page
    assert full.status_code == 400 and "<html" in full.content.decode()


def test_a_stale_effort_edit_is_refused_and_a_viewer_may_not_write(org, cell):
    editor = client_for(org, "editor")
    stale = services.version_of(cell)
    editor.post(effort_url(cell), {"effort": "10", "version": stale}, **HTMX)
    response = editor.post(effort_url(cell), {"effort": "90", "version": stale}, **HTMX)
    assert response.status_code == 409
    assert 'value="10"' in response.content.decode()  # theirs, not ours
    cell.refresh_from_db()
    assert cell.effort == 10
    assert client_for(org, "viewer").post(effort_url(cell), {"effort": "50"}).status_code == 403
    cell.refresh_from_db()
    assert cell.effort == 10
    cell.delete()
    gone = editor.post(effort_url(cell), {"effort": "50"}, **HTMX)
    assert gone.status_code == 409 and "no longer engaged" in gone.content.decode()


# History ----------------------------------------------------------------------------------------


def test_history_restores_the_worker_type_level_and_effort(org, cell):
    person = services.person_create(organisation=org, name="Ada", worker_type=CONTRACTOR,
                                    user_type="Vendor", level="L4")
    services.person_update(person=person, worker_type=EMPLOYEE, user_type="", level="L5")
    first = person.history.order_by("history_id").first()
    assert (first.worker_type, first.user_type, first.level) == (CONTRACTOR, "Vendor", "L4")
    restore(org, "person", record_of(org, "person", first.history_id), actor=SYSTEM)
    person.refresh_from_db()
    assert (person.worker_type, person.user_type, person.level) == (CONTRACTOR, "Vendor", "L4")

    pipeline_services.engagement_set(pipeline=cell.pipeline, team=cell.team, role="owner",
                                     effort=60)
    with_effort = cell.history.order_by("-history_id").first()
    pipeline_services.engagement_set(pipeline=cell.pipeline, team=cell.team, role="owner",
                                     effort=None)
    restore(org, "engagement", record_of(org, "engagement", with_effort.history_id),
            actor=SYSTEM)
    cell.refresh_from_db()
    assert cell.effort == 60
    # A deleted pipeline comes back with its cells' efforts.
    pipeline_id = cell.pipeline_id
    pipeline_services.pipeline_delete(pipeline=cell.pipeline)
    deleted = Pipeline.history.get(id=pipeline_id, history_type="-")
    restore(org, "pipeline", record_of(org, "pipeline", deleted.history_id), actor=SYSTEM)
    assert Engagement.objects.get(pipeline_id=pipeline_id, team=cell.team).effort == 60
