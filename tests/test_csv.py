"""CSV exports: formats of DESIGN.md section 4, streamed, safe for spreadsheets."""

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client

from pipelines.csv_format import neutralise, restore
from pipelines.generator import generate_org
from teams.models import Organisation, Person, Team
from tests.factories import AccessFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer():
    call_command("seed_demo", verbosity=0)
    demo = Organisation.objects.get(slug="demo")
    user = UserFactory()
    AccessFactory(organisation=demo, user=user, role="viewer")
    client = Client()
    client.force_login(user)
    return client


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


@pytest.mark.parametrize("size", [(400, 20, 20), (2000, 80, 120)])
def test_the_export_runs_a_fixed_number_of_queries(django_assert_num_queries, size):
    organisation = OrganisationFactory()
    people, teams, pipelines = size
    generate_org(organisation, people=people, teams=teams, pipelines=pipelines, seed=6)
    user = UserFactory()
    AccessFactory(organisation=organisation, user=user)
    client = Client()
    client.force_login(user)
    # session, user, organisation with role, the five tables
    with django_assert_num_queries(8):
        rows = read_csv(client.get(f"/orgs/{organisation.slug}/export/matrix.csv"))
    assert len(rows) == pipelines
