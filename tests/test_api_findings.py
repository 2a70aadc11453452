"""API v1: the findings of a design, their catalogue, and the matrix (read only)."""

import pytest

from orgdesign.analysis.catalogue import CATALOGUE
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.loader import load_org_data
from pipelines.models import Engagement, Pipeline
from teams.models import Team
from tests.api_helpers import api_url

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



# Findings -----------------------------------------------------------------------------------


def test_findings_come_in_the_shape_and_order_of_the_engine(reader, demo):
    expected = [f.as_dict() for f in compute_findings(load_org_data(demo))]
    response = reader.get(api_url(demo, "findings/"), {"page_size": 1000})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(expected)
    assert body["results"] == expected
    first = body["results"][0]
    assert {"code", "severity", "subject", "message", "related"} <= set(first)
    assert set(first["subject"]) == {"type", "id", "name"}


def test_stage_findings_carry_their_stage(reader, demo):
    results = reader.get(
        api_url(demo, "findings/"), {"code": "pipeline.stage_unowned"}
    ).json()["results"]
    assert results
    assert all(f["stage"] in f["message"] for f in results)


def test_findings_are_filtered_by_severity_and_code(reader, demo):
    errors = reader.get(api_url(demo, "findings/"), {"severity": "error"}).json()
    assert errors["count"] > 0
    assert {f["severity"] for f in errors["results"]} == {"error"}
    no_pm = reader.get(api_url(demo, "findings/"), {"code": "pipeline.no_pm"}).json()
    assert no_pm["count"] >= 1
    assert {f["code"] for f in no_pm["results"]} == {"pipeline.no_pm"}


def test_an_unknown_severity_is_refused(reader, demo):
    response = reader.get(api_url(demo, "findings/"), {"severity": "fatal"})
    assert response.status_code == 400
    assert "severity" in response.json()


def test_findings_are_paginated(reader, demo):
    total = reader.get(api_url(demo, "findings/")).json()["count"]
    assert total > 3
    page = reader.get(api_url(demo, "findings/"), {"page_size": 3}).json()
    assert (page["count"], len(page["results"])) == (total, 3)
    assert page["next"] and page["previous"] is None


def test_the_catalogue_lists_every_code_with_its_reason_and_remedy(reader, demo):
    response = reader.get(api_url(demo, "findings/codes/"), {"page_size": 1000})
    assert response.status_code == 200
    entries = response.json()["results"]
    assert [e["code"] for e in entries] == list(CATALOGUE)
    outside = next(e for e in entries if e["code"] == "dependency.outside_ml_org")
    assert set(outside) == {"code", "severity", "title", "why", "fix", "severity_rules"}
    assert "same management" in outside["why"]
    # An error: only the sunset rule can move it.
    assert len(outside["severity_rules"]) == 1 and "sunset" in outside["severity_rules"][0]


def test_the_catalogue_states_the_severity_rules_of_the_codes_they_move(reader, demo):
    entries = {
        e["code"]: e
        for e in reader.get(api_url(demo, "findings/codes/"), {"page_size": 1000}).json()[
            "results"
        ]
    }
    assert entries["pipeline.no_metric"]["severity"] == "warning"
    assert "critical" in " ".join(entries["pipeline.no_metric"]["severity_rules"])
    assert "sunset" in " ".join(entries["pipeline.stage_unowned"]["severity_rules"])
    assert "critical" in " ".join(entries["team.empty"]["severity_rules"])
    assert entries["team.idle"]["severity_rules"] == []  # a team in no pipeline
    assert entries["person.no_manager"]["severity_rules"] == []
    for code in ("team.kpi_publications", "team.no_kpi", "team.members_outside_ml_org",
                 "team.over_committed", "pipeline.stage_understaffed"):
        assert entries[code]["why"] and entries[code]["fix"]


def test_a_warning_about_a_critical_pipeline_is_an_error_with_its_base_severity(reader, demo):
    Pipeline.objects.filter(organisation=demo, name="Content moderation").update(tier="critical")

    results = reader.get(
        api_url(demo, "findings/"), {"code": "pipeline.no_metric", "severity": "error"}
    ).json()["results"]

    assert [(f["subject"]["name"], f["severity"], f["base_severity"]) for f in results] == [
        ("Content moderation", "error", "warning")
    ]


def test_an_unowned_stage_of_a_sunset_pipeline_is_a_warning(reader, demo):
    Pipeline.objects.filter(organisation=demo, name="Search relevance").update(
        lifecycle="sunset"
    )
    Engagement.objects.filter(
        pipeline__name="Search relevance", team__name="Labeling Ops"
    ).delete()

    results = reader.get(
        api_url(demo, "findings/"), {"code": "pipeline.stage_unowned"}
    ).json()["results"]

    sunset = [f for f in results if f["subject"]["name"] == "Search relevance"]
    # Deployment was already unowned in the demo; data is now too.
    assert [(f["stage"], f["severity"], f["base_severity"]) for f in sunset] == [
        ("data", "warning", "error"),
        ("deployment", "warning", "error"),
    ]


# The matrix ---------------------------------------------------------------------------------


def test_the_matrix_has_structure_columns_and_paginated_rows(reader, demo):
    response = reader.get(api_url(demo, "matrix/"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results", "structure", "columns"}
    assert body["structure"]["label"] in {"none", "embedded", "matrix", "centralized", "hybrid"}
    assert {"central_share", "embedded_share", "trade_offs"} <= set(body["structure"])
    assert {c["id"] for c in body["columns"]} == set(
        Team.objects.filter(organisation=demo).values_list("id", flat=True)
    )
    assert body["count"] == Pipeline.objects.filter(organisation=demo).count()


def test_a_matrix_row_lists_its_engaged_cells(reader, demo):
    engagement = Engagement.objects.select_related("pipeline", "team").get(
        pipeline__name="Home feed ranking", team__name="Labeling Ops"
    )
    rows = reader.get(api_url(demo, "matrix/"), {"page_size": 1000}).json()["results"]
    row = next(r for r in rows if r["id"] == engagement.pipeline_id)
    assert {"team": engagement.team_id, "role": "owner"} in row["cells"]
    assert row["pm_name"] == "Jonas Weber"
    assert len(row["cells"]) == Engagement.objects.filter(pipeline=engagement.pipeline).count()


def test_every_matrix_page_repeats_the_structure_and_the_columns(reader, demo):
    first = reader.get(api_url(demo, "matrix/"), {"page_size": 2}).json()
    second = reader.get(first["next"]).json()
    assert len(first["results"]) == 2
    assert second["columns"] == first["columns"]
    assert second["structure"] == first["structure"]
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])


def test_the_matrix_marks_columns_outside_the_ml_org(reader, demo):
    columns = {c["name"]: c for c in reader.get(api_url(demo, "matrix/")).json()["columns"]}
    assert columns["ML Platform"]["in_ml_org"] is False
    assert columns["ML Tooling"]["in_ml_org"] is True
    assert "dependency.outside_ml_org" in {f["code"] for f in columns["ML Platform"]["findings"]}


def test_the_matrix_rows_filter_like_the_page(reader, demo):
    body = reader.get(api_url(demo, "matrix/"), {"lifecycle": "incubating"}).json()
    assert body["count"] == Pipeline.objects.filter(
        organisation=demo, lifecycle="incubating"
    ).count()
    assert {r["lifecycle"] for r in body["results"]} <= {"incubating"}
