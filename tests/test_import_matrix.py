"""Importing an edited matrix.csv: a preview of the cells that change, then apply, all or
nothing, through the engagement service."""

import csv
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from orgdesign.csvio.format import read_table
from pipelines.matrix_import import plan_matrix_import
from pipelines.models import Engagement
from teams.models import Team
from tests.factories import OrganisationFactory, client_for

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



def csv_bytes(rows, *, separator=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=separator).writerows(rows)
    return out.getvalue().encode(encoding)


def export(client, query="") -> list[list[str]]:
    response = client.get(f"/orgs/demo/export/matrix.csv{query}")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def upload(client, data: bytes, name="matrix.csv"):
    return client.post("/orgs/demo/import/matrix/",
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def apply(client, preview):
    ticket = preview.context["outcome"].ticket
    assert ticket, "the preview offers no apply"
    return client.post("/orgs/demo/import/matrix/apply/", {"ticket": ticket})


def outcome(response):
    return response.context["outcome"]


def cells(organisation) -> dict[tuple[str, str], str]:
    return {
        (pipeline, team): role
        for pipeline, team, role in Engagement.objects.filter(
            pipeline__organisation=organisation
        ).values_list("pipeline__name", "team__name", "role")
    }


def set_cell(rows, pipeline: str, team: str, value: str) -> None:
    row = next(row for row in rows if row[0] == pipeline)
    row[rows[0].index(team)] = value


# The plan, without the database --------------------------------------------------------------


def named(id, name):
    return SimpleNamespace(id=id, name=name)


def plan(text: str, roles=None):
    return plan_matrix_import(
        read_table(text.encode()),
        pipelines=[named(1, "Feed"), named(2, "Search")],
        teams=[named(10, "Models"), named(11, "Platform")],
        roles=roles if roles is not None else {(1, 10): "owner", (2, 11): "service"},
    )


def test_the_plan_lists_the_cells_that_change_with_old_and_new_roles():
    result = plan("pipeline,pm_owner,lifecycle,Models,Platform\n"
                  "Feed,Someone else,sunset,contributor,owner\n"
                  "Search,,,,service\n")
    assert result.problems == []
    assert [(c.pipeline_name, c.team_name, c.old, c.new, f"{c.column}{c.line}")
            for c in result.changes] == [
        ("Feed", "Models", "owner", "contributor", "D2"),
        ("Feed", "Platform", "", "owner", "E2"),
    ]
    assert (result.unchanged, result.pipelines, result.teams) == (2, 2, 2)
    assert result.ignored_columns == ["pm_owner", "lifecycle"]


def test_an_empty_cell_clears_and_missing_rows_and_columns_are_left_alone():
    result = plan("pipeline,Models\nFeed,\n")
    assert [(c.old, c.new) for c in result.changes] == [("owner", "")]
    assert (result.pipelines, result.teams) == (1, 1)


def test_names_are_matched_ignoring_case_and_roles_too():
    result = plan("PIPELINE,models\nfeed,OWNER\n")
    assert result.problems == [] and result.changes == [] and result.unchanged == 1


def test_the_plan_reports_unknown_names_and_roles_with_line_and_column():
    result = plan("pipeline,Models,Nowhere\nFeed,lead,\nGone,owner,\nFeed,owner,\n")
    assert [(p.line, p.column, p.message) for p in result.problems] == [
        (1, "C", "No team is named “Nowhere” in this organisation."),
        (2, "B", "“lead” is not a role of Models in Feed; write owner, contributor, service, "
                 "or leave the cell empty."),
        (3, "A", "No pipeline is named “Gone” in this organisation."),
        (4, "A", "Feed is also on line 2; keep one row."),
    ]


def test_a_file_without_a_pipeline_column_is_refused():
    result = plan("external_id,name\n1,Ada\n")
    assert [p.message for p in result.problems] == [
        "The file has no pipeline column: the first row must be matrix.csv's header. This "
        "looks like a list of people: import it with the people form."
    ]


def test_the_fingerprint_names_the_changes():
    assert plan("pipeline,Models\nFeed,\n").fingerprint() == plan("pipeline,Models\nFeed,\n"
                                                                  ).fingerprint()
    assert plan("pipeline,Models\nFeed,\n").fingerprint() != plan(
        "pipeline,Models\nFeed,service\n").fingerprint()


# Preview and apply ---------------------------------------------------------------------------


def test_export_then_import_of_the_matrix_changes_nothing(demo, editor):
    before = cells(demo)
    for query in ("", "?bom=1", "?kind=modeling&lifecycle=production"):
        response = upload(editor, csv_bytes(export(editor, query)))
        result = outcome(response)
        assert result.state == "nothing", result.problems
        assert dict(result.counts)["cells to change"] == 0
        assert dict(result.counts)["pipelines in the file"] > 0
    assert cells(demo) == before


def test_a_preview_shows_the_changed_cells_and_apply_writes_them(demo, editor):
    rows = export(editor)
    set_cell(rows, "Home feed ranking", "ML Tooling", "owner")  # contributor -> owner
    set_cell(rows, "Home feed ranking", "Labeling Ops", "")  # owner -> none
    set_cell(rows, "Search relevance", "Ranking Models", "Contributor")  # none -> contributor
    set_cell(rows, "Search relevance", "pm_owner", "Someone Else")  # informational: ignored
    before = cells(demo)
    preview = upload(editor, csv_bytes(rows))
    assert preview.status_code == 200
    result = outcome(preview)
    assert result.state == "preview"
    assert sorted((c.pipeline_name, c.team_name, c.old, c.new) for c in result.changes) == [
        ("Home feed ranking", "Labeling Ops", "owner", ""),
        ("Home feed ranking", "ML Tooling", "contributor", "owner"),
        ("Search relevance", "Ranking Models", "", "contributor"),
    ]
    assert "informational and were not imported" in result.notes[0]
    assert cells(demo) == before

    applied = apply(editor, preview)
    assert outcome(applied).state == "applied"
    after = cells(demo)
    assert after[("Home feed ranking", "ML Tooling")] == "owner"
    assert ("Home feed ranking", "Labeling Ops") not in after
    assert after[("Search relevance", "Ranking Models")] == "contributor"
    assert len(after) == len(before)
    written = Engagement.objects.get(pipeline__name="Search relevance",
                                     team__name="Ranking Models")
    assert (written.updated_via, written.updated_by_id) == ("import", editor.user.pk)


def test_a_filtered_file_leaves_the_other_rows_and_columns_alone(demo, editor):
    rows = export(editor, "?kind=modeling")
    for row in rows[1:]:
        for position in range(3, len(row)):
            row[position] = ""
    before = cells(demo)
    apply(editor, upload(editor, csv_bytes(rows)))
    modeling = set(Team.objects.filter(organisation=demo, kind="modeling")
                   .values_list("name", flat=True))
    assert cells(demo) == {cell: role for cell, role in before.items() if cell[1] not in modeling}


@pytest.mark.parametrize(("separator", "encoding"), [(";", "cp1252"), ("\t", "utf-8")])
def test_semicolons_tabs_and_windows_1252_are_read(demo, editor, separator, encoding):
    Team.objects.filter(organisation=demo, name="ML Tooling").update(name="Outils ML é")
    rows = export(editor)
    set_cell(rows, "Home feed ranking", "Outils ML é", "service")
    result = outcome(upload(editor, csv_bytes(rows, separator=separator, encoding=encoding)))
    assert [(c.team_name, c.new) for c in result.changes] == [("Outils ML é", "service")]


def test_team_names_that_look_like_formulas_survive_a_round_trip(demo, editor):
    Team.objects.filter(organisation=demo, name="ML Tooling").update(name="=SUM(1,2)")
    Team.objects.filter(organisation=demo, name="ML Platform").update(name="@Platform")
    rows = export(editor)
    assert "'=SUM(1,2)" in rows[0] and "'@Platform" in rows[0]
    set_cell(rows, "Home feed ranking", "'=SUM(1,2)", "")
    result = outcome(upload(editor, csv_bytes(rows)))
    assert [(c.team_name, c.old, c.new) for c in result.changes] == [
        ("=SUM(1,2)", "contributor", "")
    ]


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda rows: rows[1].__setitem__(0, "Unknown pipeline"),
     (2, "A", "No pipeline is named “Unknown pipeline” in this organisation.")),
    (lambda rows: rows[0].append("Ghost Team") or [row.append("") for row in rows[1:]],
     (1, "M", "No team is named “Ghost Team” in this organisation.")),
    (lambda rows: rows[2].__setitem__(6, "boss"),
     (3, "G", "“boss” is not a role of ML Platform in Content moderation; write owner, "
              "contributor, service, or leave the cell empty.")),
])
def test_a_bad_cell_or_name_refuses_the_whole_file(demo, editor, edit, problem):
    rows = export(editor)
    set_cell(rows, "Search relevance", "ML Tooling", "owner")  # a good change, not written
    edit(rows)
    before = cells(demo)
    response = upload(editor, csv_bytes(rows))
    assert response.status_code == 400
    result = outcome(response)
    assert result.state == "refused" and not result.ticket
    assert problem in [(p.line, p.column, p.message) for p in result.problems]
    assert cells(demo) == before


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "This is a PNG image, not a CSV file."),
    (b"pipeline,Models\x00\n", "This is not a text file"),
    (b"pipeline,ML Tooling\n", "The file has a header row but no data rows under it."),
])
def test_bad_files_are_refused_with_a_message(demo, editor, data, message):
    before = cells(demo)
    response = upload(editor, data)
    assert response.status_code == 400
    assert outcome(response).problems[0].message.startswith(message)
    assert cells(demo) == before


def test_a_file_over_the_size_limit_is_refused(settings, demo, editor):
    settings.ORGDESIGN_IMPORT_MAX_BYTES = 200
    response = upload(editor, csv_bytes(export(editor)))
    assert response.status_code == 400
    assert "larger than 200\xa0bytes" in outcome(response).problems[0].message


def test_viewers_cannot_import_the_matrix(demo):
    viewer = client_for(demo, "viewer")
    assert upload(viewer, b"pipeline\nHome feed ranking\n").status_code == 403
    assert viewer.post("/orgs/demo/import/matrix/apply/", {"ticket": "x"}).status_code == 403


def test_another_organisation_answers_404(demo):
    client = client_for(OrganisationFactory(), "admin")
    assert upload(client, b"pipeline\nHome feed ranking\n").status_code == 404


def test_apply_refuses_when_the_matrix_changed_since_the_preview(demo, editor):
    rows = export(editor)
    set_cell(rows, "Home feed ranking", "ML Tooling", "owner")
    set_cell(rows, "Search relevance", "ML Tooling", "service")
    preview = upload(editor, csv_bytes(rows))
    Engagement.objects.filter(pipeline__name="Home feed ranking",
                              team__name="ML Tooling").update(role="owner")
    response = apply(editor, preview)
    result = outcome(response)
    assert result.state == "preview"
    assert result.alert.startswith("The matrix changed since your preview")
    assert [(c.pipeline_name, c.new) for c in result.changes] == [("Search relevance", "service")]
    assert ("Search relevance", "ML Tooling") not in cells(demo)
    apply(editor, response)
    assert cells(demo)[("Search relevance", "ML Tooling")] == "service"


def test_a_people_file_in_the_matrix_form_says_so(editor):
    response = upload(editor, b"external_id,name\n1,Ada\n")
    assert "import it with the people form" in outcome(response).problems[0].message


def test_the_page_renders_the_preview_table(editor):
    rows = export(editor)
    set_cell(rows, "Home feed ranking", "ML Tooling", "owner")
    body = upload(editor, csv_bytes(rows)).content.decode()
    assert "<th scope=\"col\">Old role</th>" in body
    assert "Apply 1 change</button>" in body
