"""The mapping step of a roster import (issue 28, point 1): every column of the file listed
with what it is read as, changed in place and read again at once; the mapping kept per
organisation when applied, and proposed again for the next file with the same headers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from teams.models import ImportMapping, Person
from tests.api_helpers import api_url, token_client

pytestmark = pytest.mark.django_db

# Headers no known export or alias names: nothing can be read until they are mapped.
ODD = (
    "Staff No,Full Name,Boss No,Role Title,Mail,Shoe size\n"
    "S1,Maya Okafor,,VP Machine Learning,maya@acme.example,38\n"
    "S2,Tom Reed,S1,ML Engineer,tom@acme.example,44\n"
    "S3,Ana Lima,S1,Data Scientist,ana@acme.example,39\n"
)
MAPPING = {"map-0": "external_id", "map-1": "name", "map-2": "manager_external_id",
           "map-3": "title", "map-4": "email", "map-5": ""}


def upload(client, text: str, name: str = "roster.csv"):
    return client.post("/orgs/acme/import/people/", {
        "file": SimpleUploadedFile(name, text.encode(), content_type="text/csv"),
        "mode": "delta"})


def remap(client, outcome, **choices):
    return client.post("/orgs/acme/import/people/columns/",
                       {"mapping_ticket": outcome.reading.ticket, "key": "external_id", **choices})


def test_every_column_is_listed_with_what_it_is_read_as(org, editor):
    refused = upload(editor, ODD)
    outcome = refused.context["outcome"]
    assert outcome.state == "refused"  # no id, no name: nothing can be read yet
    content = refused.content.decode()
    assert "data-mapping" in content
    for position, header in enumerate(["Staff No", "Full Name", "Boss No", "Role Title",
                                       "Mail", "Shoe size"]):
        assert f'<label for="map-{position}">{header}</label>' in content
    assert [column.header for column in outcome.reading.columns][:2] == ["Staff No",
                                                                          "Full Name"]
    assert not Person.objects.exists()


def test_a_mapping_reads_the_file_again_at_once_and_is_kept_when_applied(org, editor):
    outcome = upload(editor, ODD).context["outcome"]
    preview = remap(editor, outcome, **MAPPING)
    mapped = preview.context["outcome"]
    assert mapped.state == "preview", [p.message for p in mapped.problems]
    assert dict(mapped.counts)["created"] == 3
    assert not Person.objects.exists()  # a preview writes nothing
    read_as = {column.header: column.read_as for column in mapped.reading.columns}
    assert read_as["Boss No"] == "manager_external_id"
    assert read_as["Shoe size"] == "not imported"
    applied = editor.post("/orgs/acme/import/people/apply/", {"ticket": mapped.ticket})
    assert applied.context["outcome"].state == "applied"
    # Through the API: the names, titles and reporting lines the mapping read.
    people = {p["external_id"]: p for p in
              token_client(org, "read").get(api_url(org, "people/")).json()["results"]}
    assert people["S2"]["title"] == "ML Engineer"
    assert people["S2"]["manager"] == people["S1"]["id"]
    assert people["S3"]["email"] == "ana@acme.example"
    # The mapping is kept for these headers, and the next file with them is read with it.
    saved = ImportMapping.objects.get(organisation=org)
    assert saved.mapping["Boss No"] == "manager_external_id"
    next_month = ODD + "S4,Li Wei,S2,ML Engineer,li@acme.example,41\n"
    again = upload(editor, next_month, name="roster-2.csv").context["outcome"]
    assert again.state == "preview", [p.message for p in again.problems]
    assert again.reading.saved is True
    assert dict(again.counts)["created"] == 1


def test_people_may_be_known_by_their_email(org, editor):
    no_ids = ("Full Name,Mail,Boss Mail\n"
              "Maya Okafor,maya@acme.example,\n"
              "Tom Reed,tom@acme.example,maya@acme.example\n")
    outcome = upload(editor, no_ids).context["outcome"]
    assert "email" in outcome.reading.key_choices
    preview = editor.post("/orgs/acme/import/people/columns/", {
        "mapping_ticket": outcome.reading.ticket, "map-0": "name", "map-1": "email",
        "map-2": "manager_email", "key": "email"}).context["outcome"]
    assert preview.state == "preview", [p.message for p in preview.problems]
    editor.post("/orgs/acme/import/people/apply/", {"ticket": preview.ticket})
    tom = Person.objects.get(name="Tom Reed")
    assert tom.external_id == "tom@acme.example"
    assert tom.manager.name == "Maya Okafor"


def test_two_columns_mapped_to_one_field_are_refused_and_nothing_written(org, editor):
    outcome = upload(editor, ODD).context["outcome"]
    refused = remap(editor, outcome, **{**MAPPING, "map-3": "name"}).context["outcome"]
    assert refused.state == "refused"
    assert any("name" in problem.message for problem in refused.problems)
    assert refused.reading is not None  # the mapping step stays, to correct it
    assert not Person.objects.exists()
    assert not ImportMapping.objects.exists()


def test_a_forged_ticket_or_a_viewer_maps_nothing(org, editor, viewer):
    forged = editor.post("/orgs/acme/import/people/columns/",
                         {"mapping_ticket": "forged", **MAPPING})
    assert forged.status_code == 400
    outcome = upload(editor, ODD).context["outcome"]
    assert viewer.post("/orgs/acme/import/people/columns/",
                       {"mapping_ticket": outcome.reading.ticket, **MAPPING}).status_code == 403
    # A mapping ticket is not an apply ticket, nor the other way round.
    applied = editor.post("/orgs/acme/import/people/apply/",
                          {"ticket": outcome.reading.ticket})
    assert applied.status_code == 400
    mapped = remap(editor, outcome, **MAPPING).context["outcome"]
    assert editor.post("/orgs/acme/import/people/columns/",
                       {"mapping_ticket": mapped.ticket, **MAPPING}).status_code == 400
    assert not Person.objects.exists()


def test_a_long_roster_mapped_in_the_step_is_applied_by_a_worker_read_the_same_way(
    org, editor, monkeypatch
):
    from orgdesign.jobs.models import Job
    from teams import people_import_views
    from tests.worker import run_worker

    monkeypatch.setattr(people_import_views, "ASYNC_ROWS", 1)
    outcome = upload(editor, ODD).context["outcome"]
    mapped = remap(editor, outcome, **MAPPING).context["outcome"]
    response = editor.post("/orgs/acme/import/people/apply/", {"ticket": mapped.ticket})
    assert response.status_code == 302
    assert not Person.objects.exists()  # the worker applies it
    run_worker()
    job = Job.objects.get(organisation=org, kind="people_import")
    assert (job.state, job.result["created"]) == ("done", 3), job.error
    assert Person.objects.get(external_id="S2").manager.external_id == "S1"
    assert ImportMapping.objects.filter(organisation=org).count() == 1


def test_a_workbooks_named_sheet_is_mapped_and_applied_from_that_sheet(org, editor):
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["nothing here"])
    people = workbook.create_sheet("People")
    for line in ODD.strip().splitlines():
        people.append(line.split(","))
    data = io.BytesIO()
    workbook.save(data)
    refused = editor.post("/orgs/acme/import/people/", {
        "file": SimpleUploadedFile("roster.xlsx", data.getvalue()), "mode": "delta",
        "sheet": "People"}).context["outcome"]
    assert [column.header for column in refused.reading.columns][0] == "Staff No"
    mapped = remap(editor, refused, **MAPPING).context["outcome"]
    assert mapped.state == "preview", [p.message for p in mapped.problems]
    assert mapped.read_as.startswith("Excel workbook, sheet “People”")
    editor.post("/orgs/acme/import/people/apply/", {"ticket": mapped.ticket})
    assert Person.objects.get(external_id="S3").manager.external_id == "S1"
