"""The HR department (docs/design.md section 4): kept as the HR system or identity provider sends
it, through every door (API, people/sync, people.csv and rosters, the browser, SCIM), and
shown on the person's page. It is not derived from the teams."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from teams.models import Person
from tests.api_helpers import api_url, token_client
from tests.factories import MembershipFactory, PersonFactory, TeamFactory, client_for

pytestmark = pytest.mark.django_db


def exported_rows(client, organisation) -> list[dict]:
    response = client.get(f"/orgs/{organisation.slug}/export/people.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_api_reads_and_writes_the_department(org):
    api = token_client(org)
    created = api.post(api_url(org, "people/"), {
        "name": "Ada", "external_id": "HR-1", "department": "Research",
    }, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["department"] == "Research"
    person = Person.objects.get(pk=created.json()["id"])
    assert person.department == "Research"
    changed = api.patch(api_url(org, f"people/{person.pk}/"), {"department": "Platform"},
                        format="json")
    assert changed.status_code == 200, changed.content
    person.refresh_from_db()
    assert person.department == "Platform"
    too_long = api.patch(api_url(org, f"people/{person.pk}/"), {"department": "x" * 201},
                         format="json")
    assert too_long.status_code == 400
    assert "department" in too_long.json()


def test_people_sync_takes_the_department(org):
    api = token_client(org)
    url = api_url(org, "people/sync/")
    first = api.post(url, {"people": [
        {"external_id": "E1", "name": "Ada", "department": "Research"},
        {"external_id": "E2", "name": "Bob"},
    ]}, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["created"] == 2
    people = {p.external_id: p for p in Person.objects.filter(organisation=org)}
    assert (people["E1"].department, people["E2"].department) == ("Research", "")
    again = api.post(url, {"people": [{"external_id": "E1", "department": "Research"}]},
                     format="json")
    assert again.json()["unchanged"] == 1
    moved = api.post(url, {"people": [{"external_id": "E1", "department": "Platform"}]},
                     format="json")
    assert moved.json()["updated"] == 1
    assert Person.objects.get(organisation=org, external_id="E1").department == "Platform"
    bad = api.post(url, {"people": [{"external_id": "E1", "department": 7}]}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["errors"]["department"] == ["Must be text."]
    assert Person.objects.get(organisation=org, external_id="E1").department == "Platform"


def test_people_csv_has_the_department_and_imports_it_back(org):
    team = TeamFactory(organisation=org, name="Models", kind="modeling")
    ada = PersonFactory(organisation=org, external_id="E1", department="Research")
    MembershipFactory(person=ada, team=team, allocation=100)
    viewer = client_for(org, "viewer")
    rows = exported_rows(viewer, org)
    # The department follows the teams; the worker type and level come after it.
    assert list(rows[0])[-3:] == ["department", "worker_type", "level"]
    assert (rows[0]["teams"], rows[0]["department"]) == ("Models:100", "Research")

    editor = client_for(org, "editor")
    roster = (
        b"Employee ID,Full Name,Dept\n"
        b"E1,Ada Lovelace,Platform\n"
        b"E2,Bob Martin,Research\n"
    )
    preview = editor.post(f"/orgs/{org.slug}/import/people/", {
        "file": SimpleUploadedFile("roster.csv", roster, content_type="text/csv"),
        "mode": "delta",
    })
    outcome = preview.context["outcome"]
    assert not outcome.problems
    applied = editor.post(f"/orgs/{org.slug}/import/people/apply/", {"ticket": outcome.ticket})
    assert applied.status_code in (200, 302)
    departments = dict(
        Person.objects.filter(organisation=org).values_list("external_id", "department")
    )
    assert departments == {"E1": "Platform", "E2": "Research"}


def test_the_browser_edits_the_department_and_the_page_shows_it(org):
    person = PersonFactory(organisation=org, name="Ada", department="Research <Lab>",
                           user_name="ada.l")
    editor = client_for(org, "editor")
    page = editor.get(f"/orgs/{org.slug}/people/{person.pk}/").content.decode()
    assert 'value="Research &lt;Lab&gt;"' in page
    assert "<code>ada.l</code>" in page  # the identity provider's login, read only
    form = editor.get(f"/orgs/{org.slug}/people/{person.pk}/").context["form"]
    data = {key: value for key, value in form.initial.items() if value is not None}
    data.update(department="Platform", name="Ada", role=person.role, active="on",
                manager="", dotted_line_managers=[])
    response = editor.post(f"/orgs/{org.slug}/people/{person.pk}/edit/", data)
    assert response.status_code in (200, 302), response.content[:500]
    person.refresh_from_db()
    assert person.department == "Platform"


def test_the_department_is_not_the_main_team(org):
    team = TeamFactory(organisation=org, name="Models", kind="modeling")
    person = PersonFactory(organisation=org, department="")
    MembershipFactory(person=person, team=team, allocation=100)
    rows = exported_rows(client_for(org, "viewer"), org)
    assert rows[0]["department"] == ""
