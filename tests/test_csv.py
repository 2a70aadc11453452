"""CSV exports: formats of docs/design.md section 4, streamed, safe for spreadsheets."""

import csv
import io
import tracemalloc

import pytest
from django.test import Client
from django.utils import timezone

from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.loader import load_org_data
from orgdesign.csvio.format import neutralise, restore
from pipelines.generator import generate_org
from pipelines.models import Engagement
from teams.models import Organisation, Person, Team
from teams.tokens import token_create
from tests.factories import AccessFactory, OrganisationFactory, UserFactory

EXPORTS = ["matrix", "engagements", "people", "findings"]

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_matrix_csv_has_a_column_per_team_and_a_row_per_pipeline(viewer):
    response = viewer.get("/orgs/demo/export/matrix.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="demo-matrix-' in response["Content-Disposition"]
    rows = read_csv(response)
    demo = Organisation.objects.get(slug="demo")
    assert list(rows[0])[:3] == ["pipeline", "pm_owner", "lifecycle"]
    assert set(list(rows[0])[3:]) == set(demo.teams.values_list("name", flat=True))
    feed = next(row for row in rows if row["pipeline"] == "Home feed ranking")
    assert (feed["pm_owner"], feed["lifecycle"], feed["Labeling Ops"], feed["ML Tooling"],
            feed["Applied Research"]) == ("Jonas Weber", "production", "owner", "contributor", "")


def test_matrix_csv_follows_the_page_filters(viewer):
    rows = read_csv(viewer.get("/orgs/demo/export/matrix.csv?lifecycle=incubating&kind=modeling"))
    assert {row["pipeline"] for row in rows} == {"Podcast recommendations", "Fraud scoring"}
    assert list(rows[0])[3:] == ["Applied Research", "Ranking Models"]


def test_a_byte_order_mark_on_request(viewer):
    body = b"".join(viewer.get("/orgs/demo/export/matrix.csv?bom=1").streaming_content)
    assert body.startswith("\ufeff".encode())
    plain = b"".join(viewer.get("/orgs/demo/export/matrix.csv").streaming_content)
    assert not plain.startswith("\ufeff".encode())


def test_formulas_are_neutralised_in_the_export(viewer):
    Team.objects.filter(name="ML Tooling").update(name="=SUM(1,2)")
    Person.objects.filter(name="Jonas Weber").update(name="+Jonas")
    rows = read_csv(viewer.get("/orgs/demo/export/matrix.csv"))
    assert "'=SUM(1,2)" in rows[0]
    assert any(row["pm_owner"] == "'+Jonas" for row in rows)


@pytest.mark.parametrize("value", ["=1+1", "+44 20", "-x", "@SUM(A1)", "\tTab", "\rCR", "Ada",
                                   "'quoted", "'=already", "''=twice", "'", ""])
def test_neutralise_and_restore_round_trip(value):
    assert restore(neutralise(value)) == value
    assert not neutralise(value).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_an_export_needs_access():
    other = OrganisationFactory()
    client = Client()
    client.force_login(UserFactory())
    assert client.get(f"/orgs/{other.slug}/export/matrix.csv").status_code == 404


def test_engagements_csv_has_a_row_per_engaged_cell(viewer, demo):
    rows = read_csv(viewer.get("/orgs/demo/export/engagements.csv"))
    assert list(rows[0]) == ["pipeline", "pm_owner", "team", "team_kind", "stage", "role",
                             "team_in_ml_org"]
    assert len(rows) == Engagement.objects.filter(pipeline__organisation=demo).count()
    by_cell = {(row["pipeline"], row["team"]): row for row in rows}
    assert by_cell[("Home feed ranking", "ML Platform")] == {
        "pipeline": "Home feed ranking", "pm_owner": "Jonas Weber", "team": "ML Platform",
        "team_kind": "infrastructure", "stage": "infrastructure", "role": "owner",
        "team_in_ml_org": "false",
    }
    assert by_cell[("Home feed ranking", "Labeling Ops")]["stage"] == "data"
    assert by_cell[("Home feed ranking", "Labeling Ops")]["team_in_ml_org"] == "true"
    squad = by_cell[("Podcast recommendations", "Discovery Squad")]
    assert (squad["pm_owner"], squad["stage"], squad["role"]) == ("", "", "owner")


def test_engagements_csv_follows_the_matrix_filters(viewer):
    rows = read_csv(viewer.get("/orgs/demo/export/engagements.csv?lifecycle=incubating"
                               "&kind=modeling"))
    assert [(row["pipeline"], row["team"], row["role"]) for row in rows] == [
        ("Fraud scoring", "Ranking Models", "contributor")
    ]


def test_findings_csv_lists_every_finding_in_the_pages_order(viewer, demo):
    rows = read_csv(viewer.get("/orgs/demo/export/findings.csv"))
    assert list(rows[0]) == ["code", "severity", "subject_type", "subject_id", "subject_name",
                             "message", "base_severity"]
    findings = compute_findings(load_org_data(demo))
    assert [
        (row["code"], row["subject_id"], row["message"], row["severity"], row["base_severity"])
        for row in rows
    ] == [
        (f.code, str(f.subject.id), f.message, f.severity, f.base_severity) for f in findings
    ]
    no_pm = next(row for row in rows if row["code"] == "pipeline.no_pm")
    assert (no_pm["severity"], no_pm["subject_type"], no_pm["subject_name"]) == (
        "error", "pipeline", "Podcast recommendations"
    )


def test_findings_csv_follows_the_findings_page_filters(viewer):
    rows = read_csv(viewer.get("/orgs/demo/export/findings.csv?severity=warning"))
    assert rows and {row["severity"] for row in rows} == {"warning"}
    rows = read_csv(viewer.get("/orgs/demo/export/findings.csv?code=pipeline.no_pm"))
    assert [row["subject_name"] for row in rows] == ["Podcast recommendations"]


def test_people_csv_has_everyone_with_manager_and_teams(viewer, demo):
    Person.objects.filter(name="Tom Becker").update(active=False)
    rows = read_csv(viewer.get("/orgs/demo/export/people.csv"))
    assert list(rows[0]) == ["external_id", "name", "email", "title", "role",
                             "manager_external_id", "active", "teams", "department",
                             "worker_type", "level"]
    assert len(rows) == Person.objects.filter(organisation=demo).count()
    by_name = {row["name"]: row for row in rows}
    ines = Person.objects.get(organisation=demo, name="Ines Duarte")
    mia = by_name["Mia Novak"]
    assert (mia["role"], mia["manager_external_id"], mia["active"], mia["teams"]) == (
        "ml_engineer", ines.external_id, "true", "Ranking Models:80;Model Deployment:40"
    )
    assert (by_name["Helena Brandt"]["manager_external_id"], by_name["Helena Brandt"]["teams"]
            ) == ("", "")
    assert by_name["Tom Becker"]["active"] == "false"
    assert (mia["department"], by_name["Dana Kim"]["department"]) == (
        "Machine Learning", "Infrastructure"
    )
    assert {row["worker_type"] for row in rows} <= {"employee", "contractor"}
    mia_person = Person.objects.get(organisation=demo, name="Mia Novak")
    assert (mia["worker_type"], mia["level"]) == (mia_person.worker_type, mia_person.level)


def test_people_csv_follows_the_people_page_filters(viewer, demo):
    rows = read_csv(viewer.get("/orgs/demo/export/people.csv?role=scientist&status=active"))
    scientists = Person.objects.filter(organisation=demo, role="scientist", active=True)
    assert sorted(row["name"] for row in rows) == sorted(p.name for p in scientists)
    assert {row["teams"] for row in rows if row["name"] == "Hana Sato"} == {
        "Discovery Squad:100"
    }
    rows = read_csv(viewer.get("/orgs/demo/export/people.csv?q=NORTHWIND.example&role=bogus"))
    assert len(rows) == Person.objects.filter(organisation=demo).count()  # bad role ignored
    assert read_csv(viewer.get("/orgs/demo/export/people.csv?status=inactive")) == []


@pytest.mark.parametrize("name", EXPORTS)
def test_each_export_is_named_after_the_organisation_and_the_date(viewer, name):
    response = viewer.get(f"/orgs/demo/export/{name}.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="demo-{name}-{today}.csv"'


@pytest.mark.parametrize("name", EXPORTS)
def test_each_export_offers_a_byte_order_mark(viewer, name):
    with_bom = b"".join(viewer.get(f"/orgs/demo/export/{name}.csv?bom=1").streaming_content)
    plain = b"".join(viewer.get(f"/orgs/demo/export/{name}.csv").streaming_content)
    assert with_bom == "\ufeff".encode() + plain


def test_the_pages_link_their_exports(viewer):
    matrix = viewer.get("/orgs/demo/?kind=modeling&page=1").content.decode()
    for name in ("matrix", "engagements"):
        assert f'href="/orgs/demo/export/{name}.csv?kind=modeling"' in matrix
    assert 'href="/orgs/demo/export/findings.csv"' in matrix
    assert "/orgs/demo/import/" not in matrix  # a viewer cannot import
    people = viewer.get("/orgs/demo/people/?role=scientist").content.decode()
    assert 'href="/orgs/demo/export/people.csv?role=scientist"' in people
    assert 'href="/orgs/demo/export/people.csv?role=scientist&amp;bom=1"' in people


@pytest.mark.parametrize("name", EXPORTS)
def test_an_api_token_of_the_organisation_may_export(demo, name):
    _, key = token_create(organisation=demo, name="Reporting")  # read scope
    response = Client().get(f"/orgs/demo/export/{name}.csv", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert read_csv(response)


@pytest.mark.parametrize("name", EXPORTS)
def test_a_token_of_another_organisation_finds_nothing(demo, name):
    _, key = token_create(organisation=OrganisationFactory(), name="Other")
    response = Client().get(f"/orgs/demo/export/{name}.csv", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 404


def test_an_unknown_token_is_refused_and_no_credentials_lead_to_the_login(demo):
    response = Client().get("/orgs/demo/export/people.csv", HTTP_AUTHORIZATION="Bearer od_nope")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    response = Client().get("/orgs/demo/export/people.csv")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# Queries, by export: a logged-in user costs the session, the user and the organisation with
# their role; the design is read in six queries (people, memberships, engagements, teams,
# pipelines, open positions) and its software catalog (the generator plants one), with the
# organisation again, the first time its version is read, then kept
# (orgdesign.analysis.kept); people.csv in two (people with their manager's external id,
# memberships with their team's name).
SESSION_QUERIES = {"matrix": 11, "engagements": 11, "findings": 11, "people": 5}
KEPT = {"matrix": 8, "engagements": 8, "findings": 8, "people": 0}


@pytest.mark.parametrize("name", EXPORTS)
@pytest.mark.parametrize("size", [(400, 20, 20), (2000, 80, 120)])
def test_every_export_runs_a_fixed_number_of_queries(django_assert_num_queries, name, size):
    organisation = OrganisationFactory()
    people, teams, pipelines = size
    generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=6)
    user = UserFactory()
    AccessFactory(organisation=organisation, user=user)
    client = Client()
    client.force_login(user)
    with django_assert_num_queries(SESSION_QUERIES[name]):
        rows = read_csv(client.get(f"/orgs/{organisation.slug}/export/{name}.csv"))
    assert rows
    if name == "people":
        assert len(rows) == people

    # A token replaces the three of the session by one, and records its use at most once a
    # minute (one more query the first time); it spends its budget (one more, the rate count).
    _, key = token_create(organisation=organisation, name="Exports")
    token_client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    # The design of the first export is kept.
    with django_assert_num_queries(SESSION_QUERIES[name] - KEPT[name]):
        read_csv(token_client.get(f"/orgs/{organisation.slug}/export/{name}.csv"))
    with django_assert_num_queries(SESSION_QUERIES[name] - KEPT[name] - 1):
        read_csv(token_client.get(f"/orgs/{organisation.slug}/export/{name}.csv"))


def _peak_memory_of_people_export(client, organisation) -> tuple[int, int]:
    """Bytes of people.csv and the most memory Python held while streaming it."""
    client.get(f"/orgs/{organisation.slug}/export/people.csv?q=warm-up")
    tracemalloc.start()
    try:
        response = client.get(f"/orgs/{organisation.slug}/export/people.csv")
        size = sum(len(chunk) for chunk in response.streaming_content)
        return size, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_people_csv_streams_50000_people_in_flat_memory():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    measured = []
    for people in (5_000, 50_000):
        organisation = OrganisationFactory()
        generate_org(organisation, people=people, teams=40, pipelines=20, seed=3)
        AccessFactory(organisation=organisation, user=user)
        measured.append(_peak_memory_of_people_export(client, organisation))
    (small_size, small_peak), (large_size, large_peak) = measured
    print(f"\npeople.csv: {small_size / 1e6:.1f} MB in {small_peak / 1e6:.1f} MB of memory, "
          f"{large_size / 1e6:.1f} MB in {large_peak / 1e6:.1f} MB")
    assert large_size > 9 * small_size  # ten times the rows (about 5 MB)...
    assert large_peak < 2 * small_peak  # ...in about the same memory
    assert large_peak < 8_000_000
