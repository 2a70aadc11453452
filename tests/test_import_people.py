"""Importing people from people.csv or an HR roster: upload, preview, apply, all or nothing."""

import csv
import io
import os
import shutil
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orgdesign.jobs.models import Job
from teams import people_import_views, services
from teams.models import Membership, Organisation, Person
from teams.roster_import import parse_roster
from tests.axe import axe_results
from tests.factories import (
    AccessFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TeamFactory,
    UserFactory,
    client_for,
)
from tests.worker import run_worker

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def csv_bytes(rows, *, separator=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=separator).writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def org():
    organisation = OrganisationFactory(slug="acme")
    TeamFactory(organisation=organisation, name="Models", kind="modeling")
    TeamFactory(organisation=organisation, name="Platform", kind="infrastructure")
    return organisation


def upload(client, data: bytes, *, slug="acme", mode="delta", name="people.csv", **extra):
    return client.post(
        f"/orgs/{slug}/import/people/",
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "mode": mode},
        **extra,
    )


def apply(client, preview, *, slug="acme"):
    ticket = preview.context["outcome"].ticket
    assert ticket, "the preview offers no apply"
    return client.post(f"/orgs/{slug}/import/people/apply/", {"ticket": ticket})


def outcome(response):
    return response.context["outcome"]


def messages(response) -> list[tuple[int | None, str]]:
    return [(problem.line, problem.message) for problem in outcome(response).problems]


def people_state(organisation) -> list[tuple]:
    return sorted(
        Person.objects.filter(organisation=organisation).values_list(
            "external_id", "name", "email", "title", "role", "manager__external_id", "active",
            "department", "updated_at",
        )
    )


def membership_state(organisation) -> list[tuple]:
    return sorted(
        Membership.objects.filter(person__organisation=organisation).values_list(
            "person__external_id", "team__name", "allocation"
        )
    )


# Reading the file ----------------------------------------------------------------------------


def test_it_reads_the_headers_hr_systems_use():
    data = csv_bytes([
        ["Employee ID", "Full Name", "Work Email", "Job Title", "Supervisor ID", "Status",
         "Department"],
        ["E2", "Bea", "bea@x.org", "Engineer", "E1", "Active"],
        ["E1", "Ada", "ada@x.org", "Director", "", "Terminated", "Sales"],
    ])
    roster = parse_roster(data)
    assert roster.problems == []
    assert roster.records == [
        {"external_id": "E2", "name": "Bea", "email": "bea@x.org", "title": "Engineer",
         "manager_external_id": "E1", "active": True, "department": ""},
        {"external_id": "E1", "name": "Ada", "email": "ada@x.org", "title": "Director",
         "manager_external_id": "", "active": False, "department": "Sales"},
    ]
    assert roster.lines == [2, 3]
    assert roster.ignored_columns == []


@pytest.mark.parametrize("headers", [
    ["Employee Number", "Display Name", "Email Address", "Manager ID", "Active"],
    ["Worker ID", "full name", "EMAIL", "Manager Employee ID", "active"],
    ["EMPLOYEE_ID", " Name ", "e-mail", "manager_external_id", "employment status"],
])
def test_header_aliases_ignore_case_spaces_and_underscores(headers):
    roster = parse_roster(csv_bytes([headers, ["7", "Ada", "ada@x.org", "3", "yes"]]))
    assert roster.problems == []
    assert roster.records == [{"external_id": "7", "name": "Ada", "email": "ada@x.org",
                               "manager_external_id": "3", "active": True}]


@pytest.mark.parametrize(("encoding", "prefix", "label"), [
    ("utf-8", b"", "UTF-8"),
    ("utf-8", b"\xef\xbb\xbf", "UTF-8 with byte-order mark"),
    ("cp1252", b"", "Windows-1252"),
    ("utf-16", b"", "UTF-16"),
])
def test_it_reads_utf8_with_or_without_bom_windows_1252_and_utf16(encoding, prefix, label):
    data = prefix + csv_bytes([["external_id", "name"], ["1", "José Müller"]], encoding=encoding)
    roster = parse_roster(data)
    assert roster.problems == []
    assert roster.records == [{"external_id": "1", "name": "José Müller"}]
    assert roster.encoding == label


@pytest.mark.parametrize(("separator", "name"), [(",", "comma"), (";", "semicolon"),
                                                 ("\t", "tab")])
def test_it_reads_comma_semicolon_and_tab_separated_files(separator, name):
    data = csv_bytes([["external_id", "name", "teams"], ["1", "Ada, Countess", "A:60;B:40"]],
                     separator=separator)
    roster = parse_roster(data)
    assert roster.problems == []
    assert roster.separator == name
    assert roster.records == [{
        "external_id": "1", "name": "Ada, Countess",
        "teams": [{"team": "A", "allocation": 60}, {"team": "B", "allocation": 40}],
    }]


def test_cells_are_converted_to_the_syncs_types():
    roster = parse_roster(csv_bytes([
        ["external_id", "name", "role", "active", "teams"],
        ["1", "Ada", "ML engineer", "0", "Models:50%; Platform : 50 ;"],
        ["2", "Bea", "", "", ""],
    ]))
    assert roster.problems == []
    assert roster.records == [
        {"external_id": "1", "name": "Ada", "role": "ml_engineer", "active": False,
         "teams": [{"team": "Models", "allocation": 50}, {"team": "Platform", "allocation": 50}]},
        # An empty role or active leaves them as they are; an empty teams cell means none.
        {"external_id": "2", "name": "Bea", "teams": []},
    ]


@pytest.mark.parametrize(("cells", "message"), [
    (["Ada", "maybe", "Models:50"], "“maybe” is not a yes or no"),
    (["Ada", "yes", "Models:abc"], "the allocation of Models is “abc”, not a whole percent"),
    (["Ada", "yes", "Models"], "“Models” is not a team and an allocation"),
    (["Ada", "yes", "Models:50;Models:50"], "Models is listed twice"),
])
def test_a_cell_that_cannot_be_converted_is_a_problem_on_its_line(cells, message):
    roster = parse_roster(csv_bytes([["external_id", "name", "active", "teams"],
                                     ["1", "Bea", "yes", ""], ["2", *cells]]))
    assert [(problem.line, message in problem.message) for problem in roster.problems] == [
        (3, True)
    ]


def test_duplicate_external_ids_are_reported_with_both_lines():
    roster = parse_roster(csv_bytes([["external_id", "name"], ["1", "Ada"], ["2", "Bea"],
                                     ["1", "Cy"]]))
    assert [(p.line, p.message) for p in roster.problems] == [
        (4, "1 is also on line 2: each person may appear once.")
    ]


def test_a_missing_required_column_names_the_headers_accepted():
    roster = parse_roster(csv_bytes([["Full Name", "Work Email"], ["Ada", "ada@x.org"]]))
    assert [p.message for p in roster.problems] == [
        "The file has no external_id column (accepted headers: external_id, Employee ID, "
        "Employee Number, Worker ID)."
    ]


def test_an_empty_external_id_is_a_problem():
    roster = parse_roster(csv_bytes([["external_id", "name"], ["", "Ada"]]))
    assert [(p.line, p.column) for p in roster.problems] == [(2, "external_id")]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"\xef\xbb\xbf\r\n  \n", "The file is empty."),
    (b"external_id,name\r\n", "The file has a header row but no data rows under it."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is a PNG image, not a CSV file."),
    (b"PK\x03\x04\x14\x00\x06\x00", "This is a spreadsheet workbook, not a CSV file."),
    (b"external_id,name\n1,A\x00da\n", "This is not a text file (it contains binary data)."),
    (b'external_id,name\n1,"Ada\n', "Line 2 cannot be read as CSV"),
])
def test_unreadable_files_get_a_clear_message(data, message):
    roster = parse_roster(data)
    assert len(roster.problems) == 1
    assert roster.problems[0].message.startswith(message)
    assert roster.records == []


def test_a_row_longer_than_the_header_is_a_problem():
    roster = parse_roster(b"external_id,name\n1,Ada,extra\n")
    assert [(p.line, "has 3 cells but the header names 2" in p.message)
            for p in roster.problems] == [(2, True)]


# Preview and apply ---------------------------------------------------------------------------


def test_the_import_page_needs_the_editor_role(org):
    viewer = client_for(org, "viewer")
    assert viewer.get("/orgs/acme/import/").status_code == 403
    assert upload(viewer, b"external_id,name\n1,Ada\n").status_code == 403
    assert viewer.post("/orgs/acme/import/people/apply/", {"ticket": "x"}).status_code == 403
    assert not Person.objects.exists()


def test_another_organisation_answers_404(org):
    other = OrganisationFactory(slug="other")
    client = client_for(other, "admin")
    assert client.get("/orgs/acme/import/").status_code == 404
    assert upload(client, b"external_id,name\n1,Ada\n").status_code == 404


def test_the_page_shows_both_forms_with_labels(editor):
    response = editor.get("/orgs/acme/import/")
    assert response.status_code == 200
    body = response.content.decode()
    for field_id in ("people-file", "matrix-file", "mode-delta", "mode-snapshot"):
        assert f'for="{field_id}"' in body and f'id="{field_id}"' in body
    assert "Files up to 10.0\xa0MB" in body
    assert "informational and ignored on import" in body


def test_a_preview_writes_nothing_and_apply_writes_it_all(org, editor):
    PersonFactory(organisation=org, external_id="E1", name="Ada", email="ada@x.org",
                  title="Director")
    data = csv_bytes([
        ["Employee ID", "Full Name", "Job Title", "Supervisor ID", "teams"],
        ["E3", "Cy", "Engineer", "E2", "Models:60;Platform:40"],  # manager further down
        ["E2", "Bea", "Manager", "E1", "Models:100"],
        ["E1", "Ada", "VP", "", ""],
    ])
    preview = upload(editor, data)
    assert preview.status_code == 200
    result = outcome(preview)
    assert result.state == "preview"
    assert dict(result.counts) == {"created": 2, "updated": 1, "deactivated": 0, "unchanged": 0}
    ada = next(row for row in result.changes if row.external_id == "E1")
    assert (ada.action, ada.line, ada.fields) == ("update", 4, [("Job Title", "Director", "VP")])
    assert Person.objects.filter(organisation=org).count() == 1

    applied = apply(editor, preview)
    assert applied.status_code == 200
    assert outcome(applied).state == "applied"
    people = {p.external_id: p for p in Person.objects.filter(organisation=org)}
    assert people["E3"].manager == people["E2"] and people["E2"].manager == people["E1"]
    assert people["E1"].title == "VP"
    assert membership_state(org) == [("E2", "Models", 100), ("E3", "Models", 60),
                                     ("E3", "Platform", 40)]
    assert {(p.updated_via, p.updated_by_id) for p in people.values()} == {
        ("import", editor.user.pk)
    }


def test_snapshot_mode_deactivates_the_people_missing_from_the_file(org, editor):
    PersonFactory(organisation=org, external_id="E1", name="Ada")
    PersonFactory(organisation=org, external_id="E2", name="Bea")
    data = b"external_id,name\nE1,Ada\n"
    assert dict(outcome(upload(editor, data)).counts)["deactivated"] == 0
    preview = upload(editor, data, mode="snapshot")
    result = outcome(preview)
    assert dict(result.counts)["deactivated"] == 1
    assert [(row.action, row.external_id) for row in result.changes] == [("deactivate", "E2")]
    apply(editor, preview)
    assert not Person.objects.get(external_id="E2").active


@pytest.mark.parametrize(("rows", "line", "column", "message"), [
    ([["E1", "Ada", "", "Models:150"]], 3, "teams",
     "Allocation to 'Models' must be a whole percent from 1 to 100, not 150."),
    ([["E1", "Ada", "", "Nowhere:50"]], 3, "teams", "Unknown team 'Nowhere'."),
    ([["E1", "Ada", "E9", ""]], 3, "manager_external_id",
     "Unknown manager 'E9': not in this batch nor in the organisation."),
    ([["E1", "Ada", "E2", ""], ["E2", "Bea", "E1", ""]], 4, "manager_external_id",
     "The reporting lines would go round in a loop (Ada → Bea → Ada)."),
    ([["E1", "Ada", "", "Models:50"], ["E1", "Bea", "", ""]], 4, "external_id",
     "E1 is also on line 3: each person may appear once."),
])
def test_a_bad_row_refuses_the_whole_file(org, editor, rows, line, column, message):
    data = csv_bytes([["external_id", "name", "manager_external_id", "teams"],
                      ["E0", "Fine", "", "Platform:100"], *rows])
    response = upload(editor, data)
    assert response.status_code == 400
    result = outcome(response)
    assert result.state == "refused" and not result.ticket
    assert (line, column, message) in [(p.line, p.column, p.message) for p in result.problems]
    assert "Nothing was imported." in response.content.decode()
    assert not Person.objects.exists()


def test_an_unknown_role_is_refused_with_its_line(editor):
    response = upload(editor, b"external_id,name,role\n1,Ada,scientist\n2,Bea,wizard\n")
    assert response.status_code == 400
    [(line, message)] = messages(response)
    assert line == 3 and message.startswith("Unknown role 'wizard'; roles are scientist")
    assert not Person.objects.exists()


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "This is a PNG image, not a CSV file."),
    (b"name,email\nAda,ada@x.org\n", "The file has no external_id column"),
])
def test_bad_files_are_refused_with_a_message_never_a_500(editor, data, message):
    response = upload(editor, data)
    assert response.status_code == 400
    assert messages(response)[0][1].startswith(message)
    assert not Person.objects.exists()


def test_a_file_over_the_size_limit_is_refused(settings, editor):
    settings.ORGDESIGN_IMPORT_MAX_BYTES = 100
    response = upload(editor, b"external_id,name\n" + b"1,Ada\n" * 50)
    assert response.status_code == 400
    assert messages(response) == [
        (None, "The file is larger than 100\xa0bytes, the most an import takes. Nothing was "
               "imported.")
    ]
    assert not Person.objects.exists()


def test_an_upload_declared_too_large_is_refused_before_its_body_is_read(settings, editor):
    settings.ORGDESIGN_IMPORT_MAX_BYTES = 1000
    response = upload(editor, b"external_id,name\n" + b"1,Ada\n" * 20000)
    assert response.status_code == 400
    assert not hasattr(response.wsgi_request, "_files")  # the form was never parsed
    assert "larger than 1000\xa0bytes" in messages(response)[0][1]


def test_no_file_chosen(editor):
    response = editor.post("/orgs/acme/import/people/", {"mode": "delta"})
    assert response.status_code == 400
    assert messages(response) == [(None, "Choose a CSV file to upload.")]


def test_the_upload_checks_the_csrf_token(org):
    user = UserFactory()
    AccessFactory(organisation=org, user=user, role="editor")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert upload(client, b"external_id,name\n1,Ada\n").status_code == 403
    assert client.post("/orgs/acme/import/people/apply/", {"ticket": "x"}).status_code == 403


def test_a_forged_or_used_ticket_applies_nothing(org, editor):
    preview = upload(editor, b"external_id,name\n1,Ada\n")
    forged = editor.post("/orgs/acme/import/people/apply/", {"ticket": "forged"})
    assert forged.status_code == 400
    assert messages(forged)[0][1].startswith("This preview has expired or was already applied")
    assert not Person.objects.exists()
    # Another editor cannot apply someone else's preview.
    other = client_for(org, "editor")
    assert apply(other, preview).status_code == 400
    assert not Person.objects.exists()
    assert apply(editor, preview).status_code == 200
    again = apply(editor, preview)
    assert again.status_code == 400 and Person.objects.count() == 1


def test_apply_refuses_when_the_people_changed_since_the_preview(org, editor):
    PersonFactory(organisation=org, external_id="1", name="Ada", title="Engineer")
    preview = upload(editor, b"external_id,name,title\n1,Ada,Director\n2,Bea,Engineer\n")
    Person.objects.filter(external_id="1").update(title="Director")  # someone else did it
    response = apply(editor, preview)
    assert response.status_code == 200
    result = outcome(response)
    assert result.state == "preview"
    assert result.alert.startswith("The people changed since your preview")
    assert dict(result.counts) == {"created": 1, "updated": 0, "deactivated": 0, "unchanged": 1}
    assert Person.objects.count() == 1
    assert apply(editor, response).status_code == 200
    assert Person.objects.count() == 2


def test_htmx_gets_only_the_result(editor):
    response = upload(editor, b"external_id,name\n1,Ada\n", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="import-result"')
    assert "<html" not in body


def test_an_hr_export_in_windows_1252_with_semicolons_imports(org, editor):
    data = (FIXTURES / "hr_roster_cp1252_semicolon.csv").read_bytes()
    preview = upload(editor, data, name="workday.csv")
    result = outcome(preview)
    assert result.state == "preview", result.problems
    assert result.read_as == "Windows-1252, semicolon-separated, 5 rows"
    assert result.notes == ["Columns not imported: Location."]
    assert dict(result.counts)["created"] == 5
    apply(editor, preview)
    people = {p.external_id: p for p in Person.objects.filter(organisation=org)}
    assert people["W-0002"].name == "Søren Ålund"
    assert people["W-0003"].manager == people["W-0002"]
    assert people["W-0002"].manager == people["W-0001"]
    assert not people["W-0004"].active
    assert (people["W-0005"].name, people["W-0005"].title) == ("Nuño, Jr.", '=Data "Ops" Analyst')
    assert people["W-0003"].department == "Machine Learning"


# Round trips ---------------------------------------------------------------------------------


@pytest.fixture
def demo_editor(demo):
    return client_for(demo, "editor")


@pytest.mark.parametrize("bom", ["0", "1"])
def test_export_then_import_of_people_changes_nothing(demo_editor, bom):
    demo = Organisation.objects.get(slug="demo")
    before = people_state(demo), membership_state(demo)
    exported = b"".join(demo_editor.get(f"/orgs/demo/export/people.csv?bom={bom}")
                        .streaming_content)
    for mode in ("delta", "snapshot"):
        response = upload(demo_editor, exported, slug="demo", mode=mode)
        result = outcome(response)
        assert result.state == "nothing", result.problems
        assert dict(result.counts) == {"created": 0, "updated": 0, "deactivated": 0,
                                       "unchanged": len(before[0])}
    assert (people_state(demo), membership_state(demo)) == before


def test_names_that_look_like_formulas_survive_a_round_trip(org, editor):
    team = TeamFactory(organisation=org, name="=Team+1", kind="modeling")
    tricky = ["=HYPERLINK(\"http://x\")", "+44 20 7946", "-minus", "@handle", "'quoted"]
    for index, name in enumerate(tricky):
        person = PersonFactory(organisation=org, name=name, external_id=f"-{index}",
                               title=f"=T{index}")
        MembershipFactory(person=person, team=team, allocation=50)
    before = people_state(org), membership_state(org)
    exported = b"".join(editor.get("/orgs/acme/export/people.csv").streaming_content)
    assert b"\n=" not in exported and b",=" not in exported and b",+" not in exported
    result = outcome(upload(editor, exported))
    assert result.state == "nothing", result.problems
    assert (people_state(org), membership_state(org)) == before


@pytest.mark.slow
def test_a_50000_row_roster_imports_through_a_worker(org, editor):
    rows = [["Employee ID", "Full Name", "Work Email", "Job Title", "Supervisor ID", "Status",
             "teams"]]
    for number in range(50_000, 0, -1):  # reports before their managers
        manager = "" if number == 1 else f"E{(number - 2) // 8 + 1}"
        teams = "Models:60;Platform:40" if number % 10 == 0 else ""
        rows.append([f"E{number}", f"Person {number}", f"p{number}@example.com", "Engineer",
                     manager, "active", teams])
    data = csv_bytes(rows)
    started = time.perf_counter()
    preview = upload(editor, data)
    previewed = time.perf_counter()
    assert outcome(preview).state == "preview", outcome(preview).problems[:3]
    applied = apply(editor, preview)
    # Past a few thousand rows a worker applies it (the request only queues the job).
    assert applied.status_code == 302
    run_worker()
    finished = time.perf_counter()
    job = Job.objects.get(organisation=org, kind="people_import")
    assert (job.state, job.result["created"]) == ("done", 50_000), job.error
    assert Person.objects.filter(organisation=org).count() == 50_000
    assert Membership.objects.filter(person__organisation=org).count() == 10_000
    print(f"\n50,000-row roster ({len(data) / 1e6:.1f} MB): preview "
          f"{previewed - started:.1f} s, apply {finished - previewed:.1f} s, "
          f"total {finished - started:.1f} s")


# In a real browser -------------------------------------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")
def test_in_a_browser_a_roster_is_previewed_and_applied_in_place(transactional_db,
                                                                 live_server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    organisation = OrganisationFactory(slug="acme")
    TeamFactory(organisation=organisation, name="Models", kind="modeling")
    user = UserFactory(username="ed")
    AccessFactory(organisation=organisation, user=user, role="editor")
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"Employee ID,Full Name,Supervisor ID,teams\n"
                       b"E2,Bea,E1,Models:150\nE1,Ada,,\n")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--headless", "--no-sandbox"])
        page = browser.new_page(base_url=live_server.url)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("ed")
        page.get_by_label("Password").fill("secret")
        page.get_by_role("button", name="Log in").click()
        page.goto("/orgs/acme/import/")
        page.get_by_label("People file (CSV)").set_input_files(str(roster))
        page.get_by_role("button", name="Preview people").click()
        page.wait_for_selector("[data-import-state=refused]")
        assert "not 150" in page.locator("#import-result").inner_text()

        roster.write_bytes(roster.read_bytes().replace(b":150", b":60"))
        page.get_by_label("People file (CSV)").set_input_files(str(roster))
        page.get_by_role("button", name="Preview people").click()
        page.wait_for_selector("[data-import-state=preview]")
        violations = axe_results(page)["violations"]
        assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []
        page.get_by_role("button", name="Apply 2 changes").click()
        page.wait_for_selector("[data-import-state=applied]")
        browser.close()
    assert Person.objects.get(external_id="E2").manager.external_id == "E1"


# Long rosters, applied by a worker -----------------------------------------------------------


@pytest.fixture
def small_async_limit(monkeypatch):
    """Apply through a worker from two rows on, so the test file stays small."""
    monkeypatch.setattr(people_import_views, "ASYNC_ROWS", 1)


def two_people() -> bytes:
    return csv_bytes([
        ["external_id", "name", "email"],
        ["E1", "Ada", "ada@x.org"],
        ["E2", "Bea", "bea@x.org"],
    ])


def test_a_long_roster_is_applied_by_a_worker_and_followed_on_the_job_page(
    org, editor, small_async_limit
):
    preview = upload(editor, two_people())

    response = apply(editor, preview)

    job = Job.objects.get(organisation=org, kind="people_import")
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/acme/jobs/{job.uid}/"
    assert not Person.objects.filter(organisation=org).exists()  # not in the request
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.result["created"]) == ("done", 2)
    assert sorted(Person.objects.filter(organisation=org).values_list("name", flat=True)) == [
        "Ada", "Bea"
    ]
    assert Person.objects.get(organisation=org, name="Ada").updated_via == "import"
    assert "2 created" in editor.get(response["Location"]).content.decode()


def test_an_htmx_apply_of_a_long_roster_redirects_the_page_to_its_job(
    org, editor, small_async_limit
):
    preview = upload(editor, two_people())
    ticket = preview.context["outcome"].ticket

    response = editor.post("/orgs/acme/import/people/apply/", {"ticket": ticket},
                           HTTP_HX_REQUEST="true")

    job = Job.objects.get(organisation=org)
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/orgs/acme/jobs/{job.uid}/"


def test_a_long_roster_whose_people_changed_since_the_preview_fails_and_writes_nothing(
    org, editor, small_async_limit
):
    response = apply(editor, upload(editor, two_people()))
    services.person_create(organisation=org, name="Ada", external_id="E1")  # meanwhile

    run_worker()

    job = Job.objects.get(organisation=org)
    assert job.state == "failed"
    assert "changed since your preview" in job.error
    assert list(Person.objects.filter(organisation=org).values_list("name", flat=True)) == [
        "Ada"
    ]
    assert "changed since your preview" in editor.get(response["Location"]).content.decode()
