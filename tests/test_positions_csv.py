"""positions.csv (docs/design.md section 4): the export, streamed and safe for spreadsheets,
for any member and the organisation's tokens; the import, previewed then applied all or
nothing through the position services, by editors, recorded in history as an import."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orgdesign.csvio.format import read_table
from pipelines import positions as services
from pipelines.models import Position, PositionStatus
from pipelines.positions_import import parse_fte, plan_positions_import
from teams.models import Organisation
from teams.tokens import token_create
from tests.factories import OrganisationFactory, PersonFactory, PipelineFactory, TeamFactory

pytestmark = pytest.mark.django_db

HEADER = "position_id,team,title,role,level,fte,status,target_date,pipeline"


@pytest.fixture
def design(org):
    """Two teams, a pipeline, and three positions: open, cancelled, filled."""
    modeling = TeamFactory(organisation=org, name="Modeling", kind="modeling")
    platform = TeamFactory(organisation=org, name="Platform", kind="platform")
    feed = PipelineFactory(organisation=org, name="Home feed")
    open_ = services.position_create(
        organisation=org, team=modeling, title="Senior ML engineer", role="ml_engineer",
        level="L5", fte=100, target_date=datetime.date(2027, 3, 31), pipeline=feed,
    )
    cancelled = services.position_cancel(position=services.position_create(
        organisation=org, team=platform, title="Data engineer", role="data_engineer",
    ))
    filled = services.position_create(organisation=org, team=platform, title="SRE", fte=50)
    services.position_fill(position=filled, person=PersonFactory(organisation=org))
    return {"open": open_, "cancelled": cancelled, "filled": filled, "modeling": modeling,
            "platform": platform, "feed": feed}


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode("utf-8-sig")


def export(client, slug="acme") -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(client.get(f"/orgs/{slug}/export/positions.csv")))))


def to_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def upload(client, data, name="positions.csv"):
    if isinstance(data, str):
        data = data.encode()
    return client.post("/orgs/acme/import/positions/",
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def apply(client, preview):
    ticket = preview.context["outcome"].ticket
    assert ticket, "the preview offers no apply"
    return client.post("/orgs/acme/import/positions/apply/", {"ticket": ticket})


def outcome(response):
    return response.context["outcome"]


def state(org) -> list[tuple]:
    return list(Position.objects.filter(organisation=org).order_by("id").values_list(
        "id", "team_id", "title", "role", "level", "fte", "status", "target_date",
        "pipeline_id", "person_id", "updated_via",
    ))


def history_count(org) -> int:
    return Position.history.filter(organisation_id=org.pk).count()


# The export ----------------------------------------------------------------------------------


def test_the_export_lists_every_position_with_team_and_pipeline_by_name(design, viewer):
    rows = export(viewer)
    assert rows == [
        HEADER.split(","),
        [str(design["open"].pk), "Modeling", "Senior ML engineer", "ml_engineer", "L5", "100",
         "open", "2027-03-31", "Home feed"],
        [str(design["cancelled"].pk), "Platform", "Data engineer", "data_engineer", "", "100",
         "cancelled", "", ""],
        [str(design["filled"].pk), "Platform", "SRE", "other", "", "50", "filled", "", ""],
    ]
    response = viewer.get("/orgs/acme/export/positions.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="acme-positions-' in response["Content-Disposition"]


def test_the_export_neutralises_formulas_and_an_import_restores_them(design, editor):
    Position.objects.filter(pk=design["open"].pk).update(title="=HYPERLINK(\"x\")")
    design["modeling"].name = "+Modeling"
    design["modeling"].save()
    rows = export(editor)
    assert rows[1][1:3] == ["'+Modeling", "'=HYPERLINK(\"x\")"]
    result = outcome(upload(editor, to_bytes(rows)))
    assert result.state == "nothing"


def test_an_api_token_of_the_organisation_may_export_and_others_find_nothing(design, org):
    _, key = token_create(organisation=org, name="Reporting")  # read scope
    response = Client().get("/orgs/acme/export/positions.csv", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert body(response).splitlines()[0] == HEADER
    _, other = token_create(organisation=OrganisationFactory(), name="Other")
    response = Client().get("/orgs/acme/export/positions.csv",
                            HTTP_AUTHORIZATION=f"Bearer {other}")
    assert response.status_code == 404
    assert Client().get("/orgs/acme/export/positions.csv").status_code == 302  # to the login


@pytest.mark.parametrize("extra", [0, 30])
def test_the_export_runs_a_fixed_number_of_queries(org, design, viewer, extra,
                                                   django_assert_num_queries):
    for number in range(extra):
        services.position_create(organisation=org, team=design["modeling"], title=f"P{number}")
    # The session, the user, the organisation with the role; then the positions.
    with django_assert_num_queries(4):
        assert len(export(viewer)) == 4 + extra


# Who may import ------------------------------------------------------------------------------


def test_a_viewer_cannot_import(design, viewer):
    before = state(design["open"].organisation)
    assert upload(viewer, f"{HEADER}\n,Modeling,New,,,,,,\n").status_code == 403
    assert viewer.post("/orgs/acme/import/positions/apply/", {"ticket": "x"}).status_code == 403
    assert state(design["open"].organisation) == before


def test_the_import_page_offers_the_positions_form_and_export(design, editor):
    page = editor.get("/orgs/acme/import/").content.decode()
    assert 'action="/orgs/acme/import/positions/"' in page
    assert 'href="/orgs/acme/export/positions.csv"' in page
    assert "Requisition ID" in page


# Preview and apply ---------------------------------------------------------------------------


def test_a_preview_writes_nothing_and_the_apply_creates_and_updates(org, design, editor):
    before, entries = state(org), history_count(org)
    version = Organisation.objects.get(pk=org.pk).design_version
    rows = export(editor)
    rows[1][2] = "Staff ML engineer"  # title of the open one
    rows[1][5] = "80"
    rows[1][8] = ""  # no pipeline any more
    rows[2][6] = "open"  # the cancelled one opens again
    rows.append(["", "modeling", "Data scientist", "Scientist", "L4", "0.5", "", "2027-01-15",
                 "home feed"])
    preview = upload(editor, to_bytes(rows))
    result = outcome(preview)
    assert result.state == "preview", result.problems
    assert dict(result.counts)["to create"] == 1 and dict(result.counts)["to update"] == 2
    assert [(c.action, c.line, c.position_id) for c in result.changes] == [
        ("update", 2, design["open"].pk), ("update", 3, design["cancelled"].pk),
        ("create", 5, None),
    ]
    assert ("title", "Senior ML engineer", "Staff ML engineer") in result.changes[0].fields
    assert ("pipeline", "Home feed", "") in result.changes[0].fields
    assert state(org) == before and history_count(org) == entries
    assert Organisation.objects.get(pk=org.pk).design_version == version
    page = preview.content.decode()
    assert f'data-position="{design["open"].pk}"' in page and "Apply 3 changes" in page

    applied = apply(editor, preview)
    assert outcome(applied).state == "applied"
    edited = Position.objects.get(pk=design["open"].pk)
    assert (edited.title, edited.fte, edited.pipeline_id) == ("Staff ML engineer", 80, None)
    assert Position.objects.get(pk=design["cancelled"].pk).status == PositionStatus.OPEN
    new = Position.objects.get(organisation=org, title="Data scientist")
    assert (new.team, new.role, new.level, new.fte, new.status, new.target_date, new.pipeline) \
        == (design["modeling"], "scientist", "L4", 50, "open", datetime.date(2027, 1, 15),
            design["feed"])
    # The preview's file is spent.
    again = editor.post("/orgs/acme/import/positions/apply/", {"ticket": outcome(preview).ticket})
    assert outcome(again).state == "refused"


def test_every_change_is_in_history_with_the_import_door(org, design, editor):
    rows = export(editor)
    rows[1][2] = "Staff ML engineer"
    rows[1][6] = "cancelled"
    rows.append(["", "Platform", "MLOps engineer", "", "", "", "", "", ""])
    apply(editor, upload(editor, to_bytes(rows)))
    entries = Position.history.filter(organisation_id=org.pk, updated_via="import")
    assert {(entry.id, entry.history_type) for entry in entries} == {
        (design["open"].pk, "~"),
        (Position.objects.get(title="MLOps engineer").pk, "+"),
    }
    assert entries.count() == 3  # the edit, then the cancel, and the new position
    assert {entry.updated_by_id for entry in entries} == {editor.user.pk}
    history = editor.get("/orgs/acme/history/").content.decode()
    assert "MLOps engineer" in history


def test_a_round_trip_changes_nothing(org, design, editor):
    before, entries = state(org), history_count(org)
    result = outcome(upload(editor, body(editor.get("/orgs/acme/export/positions.csv?bom=1"))
                            .encode("utf-8-sig")))
    assert result.state == "nothing"
    assert (dict(result.counts)["unchanged"], result.total_changes, result.ticket) == (3, 0, "")
    assert state(org) == before and history_count(org) == entries


def test_a_file_with_bad_rows_writes_nothing_and_names_every_one(org, design, editor):
    before, entries = state(org), history_count(org)
    lines = [
        HEADER,
        ",Modeling,Fine new position,,,,,,",  # 2: good, yet not written
        ",Nowhere,Lost,,,,,,",  # 3: unknown team
        ",Modeling,Half,,,abc,,,",  # 4: bad FTE
        ",Modeling,Too much,,,150,,,",  # 5: FTE out of range
        ",Modeling,When,,,,,31/03/2027,",  # 6: not ISO
        ",Modeling,Who,wizard,,,,,",  # 7: unknown role
        ",Modeling,Which,,,,,,Nope",  # 8: unknown pipeline
        "999999,Modeling,Ghost,,,,,,",  # 9: unknown position id
        f"{design['open'].pk},Modeling,Taken,,,,filled,,",  # 10: a file cannot fill
        f"{design['filled'].pk},Platform,SRE,,,,open,,",  # 11: a filled one stays filled
        f"{design['cancelled'].pk},Modeling,Moved,,,,,,",  # 12: a cancelled one keeps its team
        ",,No team,,,,,,",  # 13: a new one needs a team
        ",Modeling,Cancelled at birth,,,,cancelled,,",  # 14: a new one is open
        f"{design['open'].pk},Modeling,Twice,,,,,,",  # 15: the same id again
    ]
    response = upload(editor, "\n".join(lines) + "\n")
    assert response.status_code == 400
    result = outcome(response)
    assert result.state == "refused" and result.ticket == ""
    problems = [(problem.line, problem.column, problem.message) for problem in result.problems]
    assert [line for line, _, _ in problems] == list(range(3, 16))
    assert problems[0] == (3, "team", "No team is named “Nowhere” in this organisation.")
    assert problems[1][:2] == (4, "fte") and "“abc” is not an FTE" in problems[1][2]
    assert problems[2][:2] == (5, "fte")
    assert problems[3] == (6, "target_date", "“31/03/2027” is not a date; write it YYYY-MM-DD, "
                                             "such as 2027-03-31.")
    assert problems[4][:2] == (7, "role") and "“wizard” is not a role" in problems[4][2]
    assert problems[5] == (8, "pipeline", "No pipeline is named “Nope” in this organisation.")
    assert problems[6][:2] == (9, "position_id")
    assert "cannot fill" in problems[7][2] and "stays filled" in problems[8][2]
    assert problems[9][:2] == (12, "team") and "cancelled" in problems[9][2]
    assert problems[10] == (13, "team", "A new position needs a team.")
    assert problems[11][:2] == (14, "status")
    assert problems[12] == (15, "position_id",
                            f"Position {design['open'].pk} is also on line 10; keep one row.")
    assert state(org) == before and history_count(org) == entries
    page = response.content.decode()
    assert "Nothing was imported" in page and 'data-line="13"' in page


def test_hr_header_aliases_are_read(org, design, editor):
    text = (
        "Req ID;Job Title;Department;Grade;FTE;Target Start Date;Hiring Manager\n"
        f"{design['open'].pk};Principal ML engineer;Modeling;L6;1.0;2027-06-01;Someone\n"
        ";Analyst;Platform;L3;60%;;Someone\n"
    )
    result = outcome(upload(editor, text))
    assert result.state == "preview", result.problems
    assert result.notes == ["Columns not imported: Hiring Manager."]
    assert [change.fields for change in result.changes][0] == (
        ("Job Title", "Senior ML engineer", "Principal ML engineer"),
        ("Grade", "L5", "L6"),
        ("Target Start Date", "2027-03-31", "2027-06-01"),
    )
    preview = upload(editor, text)
    apply(editor, preview)
    edited = Position.objects.get(pk=design["open"].pk)
    assert (edited.title, edited.level, edited.target_date) == (
        "Principal ML engineer", "L6", datetime.date(2027, 6, 1))
    assert Position.objects.get(title="Analyst").fte == 60


@pytest.mark.parametrize("header", ["Position ID", "Requisition ID", "REQ_ID", "position_id"])
def test_every_position_id_alias_updates_by_id(org, design, editor, header):
    text = f"{header},Job Title\n{design['filled'].pk},Site reliability engineer\n"
    apply(editor, upload(editor, text))
    filled = Position.objects.get(pk=design["filled"].pk)
    # A filled position keeps its person and status; its title may change.
    assert (filled.title, filled.status) == ("Site reliability engineer", "filled")
    assert filled.person_id is not None


def test_an_apply_after_a_change_shows_a_new_preview_and_writes_nothing(org, design, editor):
    rows = export(editor)
    rows[1][2] = "Staff ML engineer"
    preview = upload(editor, to_bytes(rows))
    services.position_update(position=design["open"], level="L6")
    before = state(org)
    response = apply(editor, preview)
    assert outcome(response).state == "preview"
    assert "changed since your preview" in outcome(response).alert
    assert state(org) == before


def test_a_file_that_is_not_positions_is_refused(design, editor):
    result = outcome(upload(editor, "external_id,name,title,department\n1,Ada,Analyst,ML\n"))
    assert result.state == "refused"
    assert "looks like a list of people" in result.problems[0].message
    result = outcome(upload(editor, "pipeline_owner,stage\nFeed,\n"))
    assert "none of positions.csv's columns" in result.problems[0].message
    result = outcome(upload(editor, "Job Title,FTE\nAnalyst,50\n"))
    assert "needs team" in result.problems[0].message


# The plan, without the web -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "fte"), [("100", 100), ("60", 60), ("60%", 60), ("0.5", 50),
                                           ("1.0", 100), ("1", 1), ("50.0", 50)])
def test_fte_reads_percents_and_fractions(text, fte):
    assert parse_fte(text) == fte


@pytest.mark.parametrize("text", ["0", "101", "0.555", "abc", "NaN", "Infinity", "-5", "50.5"])
def test_fte_refuses_what_is_not_one(text):
    with pytest.raises(ValueError, match="is not an FTE"):
        parse_fte(text)


def test_roles_by_value_or_label_in_any_case(org, design):
    table = read_table(b"team,title,role\nModeling,A,ML ENGINEER\nModeling,B,data_engineer\n"
                       b"Modeling,C,Operations manager\n")
    plan = plan_positions_import(table, teams=[design["modeling"]], pipelines=[], positions=[])
    assert plan.problems == []
    assert [dict(change.values)["role"] for change in plan.changes] == [
        "ml_engineer", "data_engineer", "ops_manager"]
