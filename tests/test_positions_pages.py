"""The positions page and a position's page (open, edit, fill, cancel through the browser),
and the level table's page, which only admins reach."""

import re

import pytest

from pipelines.models import Position, PositionStatus
from teams.models import Level, Membership
from tests.factories import PersonFactory, PipelineFactory, TeamFactory, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(org):
    return TeamFactory(organisation=org, name="Modeling", kind="modeling")


@pytest.fixture
def seat(org, team):
    return Position.objects.create(organisation=org, team=team, title="ML engineer", fte=50)


def test_anyone_in_the_design_sees_the_positions_but_only_editors_open_them(org, team, seat,
                                                                              viewer, editor):
    page = viewer.get(f"/orgs/{org.slug}/positions/")
    assert page.status_code == 200
    assert f'data-position="{seat.pk}"'.encode() in page.content
    assert b"Open a position" not in page.content
    refused = viewer.post(f"/orgs/{org.slug}/positions/", {"title": "X", "team": team.pk,
                                                            "role": "other", "fte": 100})
    assert refused.status_code == 403
    assert Position.objects.count() == 1
    assert b"Open a position" in editor.get(f"/orgs/{org.slug}/positions/").content


def test_an_editor_opens_a_position(org, team, editor):
    pipeline = PipelineFactory(organisation=org, name="Search")
    answer = editor.post(f"/orgs/{org.slug}/positions/", {
        "title": "Data engineer", "team": team.pk, "role": "data_engineer", "level": "L4",
        "fte": 80, "target_date": "2027-02-01", "pipeline": pipeline.pk,
    })
    assert answer.status_code == 302
    made = Position.objects.get()
    assert (made.title, made.fte, made.status, made.pipeline_id, made.level) == (
        "Data engineer", 80, "open", pipeline.pk, "L4")
    assert made.history.first().updated_via == "browser"


def test_a_bad_position_shows_its_errors_and_writes_nothing(org, team, editor):
    answer = editor.post(f"/orgs/{org.slug}/positions/", {
        "title": "Data engineer", "team": team.pk, "role": "other", "fte": 150})
    assert answer.status_code == 400
    assert b"fte" in answer.content.lower()
    assert not Position.objects.exists()


def test_the_list_filters_by_team_status_and_pipeline(org, team, seat, viewer):
    other = TeamFactory(organisation=org, name="Data Ops", kind="data_ops")
    pipeline = PipelineFactory(organisation=org, name="Search")
    hired = Position.objects.create(organisation=org, team=other, title="Labeler",
                                    pipeline=pipeline)
    done = Position.objects.create(organisation=org, team=team, title="Old",
                                   status=PositionStatus.CANCELLED)

    def shown(query):
        content = viewer.get(f"/orgs/{org.slug}/positions/?{query}").content
        return {p.pk for p in (seat, hired, done) if f'data-position="{p.pk}"'.encode()
                in content}

    assert shown("") == {seat.pk, hired.pk}  # open ones, at first
    assert shown(f"team={team.pk}&status=") == {seat.pk, done.pk}
    assert shown("status=cancelled") == {done.pk}
    assert shown(f"pipeline={pipeline.pk}&status=") == {hired.pk}


def test_filling_through_the_page_puts_the_person_in_the_team(org, team, seat, editor):
    ada = PersonFactory(organisation=org, name="Ada")
    page = editor.get(f"/orgs/{org.slug}/positions/{seat.pk}/")
    assert b"Fill position" in page.content
    answer = editor.post(f"/orgs/{org.slug}/positions/{seat.pk}/fill/", {"person": ada.pk})
    assert answer.status_code == 302
    seat.refresh_from_db()
    assert (seat.status, seat.person_id) == ("filled", ada.pk)
    assert Membership.objects.get(person=ada, team=team).allocation == 50
    page = editor.get(f"/orgs/{org.slug}/positions/{seat.pk}/")
    assert b"Fill position" not in page.content
    assert b"Ada" in page.content
    # Both writes are in history, through the browser, by the editor; the position's
    # History section shows the fill.
    entry = seat.history.first()
    assert (entry.status, entry.person_id, entry.updated_via) == ("filled", ada.pk, "browser")
    joined = Membership.history.filter(person_id=ada.pk).first()
    assert (joined.team_id, joined.allocation, joined.updated_via) == (team.pk, 50, "browser")
    assert entry.history_user_id == joined.history_user_id is not None
    section = page.content.decode().split('id="object-history"', 1)[1]
    assert "Filled" in section and "Ada" in section


def test_a_fill_without_a_person_is_refused(org, seat, editor):
    answer = editor.post(f"/orgs/{org.slug}/positions/{seat.pk}/fill/", {"person": ""})
    assert answer.status_code == 400
    assert b"Choose who fills the position" in answer.content
    seat.refresh_from_db()
    assert seat.status == "open"


def test_cancel_and_open_again_through_the_page(org, seat, editor, viewer):
    assert viewer.post(f"/orgs/{org.slug}/positions/{seat.pk}/cancel/").status_code == 403
    editor.post(f"/orgs/{org.slug}/positions/{seat.pk}/cancel/")
    seat.refresh_from_db()
    assert seat.status == "cancelled"
    assert (seat.history.first().status, seat.history.first().updated_via) == (
        "cancelled", "browser")
    editor.post(f"/orgs/{org.slug}/positions/{seat.pk}/cancel/")
    seat.refresh_from_db()
    assert seat.status == "open"


def test_an_edit_from_a_stale_page_is_refused(org, team, seat, editor):
    stale = "2000-01-01T00:00:00+00:00"
    answer = editor.post(f"/orgs/{org.slug}/positions/{seat.pk}/edit/", {
        "title": "Renamed", "team": team.pk, "role": "other", "fte": 50, "version": stale})
    assert answer.status_code == 409
    seat.refresh_from_db()
    assert seat.title == "ML engineer"


def test_another_organisations_position_is_not_found(org, seat, editor):
    from tests.factories import OrganisationFactory

    other = OrganisationFactory(slug="other")
    theirs = Position.objects.create(organisation=other,
                                     team=TeamFactory(organisation=other, name="T"), title="X")
    assert editor.get(f"/orgs/{org.slug}/positions/{theirs.pk}/").status_code == 404
    assert editor.post(f"/orgs/{org.slug}/positions/{theirs.pk}/cancel/").status_code == 404


# The level table -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("editor", 403), ("admin", 200)])
def test_only_admins_open_the_level_table(org, role, status):
    Level.objects.create(organisation=org, name="L5", annual_cost=212345)
    client = client_for(org, role)
    page = client.get(f"/orgs/{org.slug}/settings/levels/")
    assert page.status_code == status
    assert (b"212345" in page.content) == (status == 200)
    assert client.post(f"/orgs/{org.slug}/settings/levels/",
                       {"name": "L6", "annual_cost": 1}).status_code in (status, 302)
    assert Level.objects.filter(name="L6").exists() == (status == 200)


def test_an_admin_edits_the_level_table_and_the_currency(org):
    admin = client_for(org, "admin")
    admin.post(f"/orgs/{org.slug}/settings/levels/", {"name": "L5", "annual_cost": 200000})
    level = Level.objects.get(organisation=org)
    admin.post(f"/orgs/{org.slug}/settings/levels/{level.pk}/",
               {"name": "L5", "annual_cost": 210000})
    level.refresh_from_db()
    assert level.annual_cost == 210000
    taken = admin.post(f"/orgs/{org.slug}/settings/levels/",
                       {"name": "L5", "annual_cost": 1})
    assert taken.status_code == 400
    assert b"already has a level of this name" in taken.content
    assert admin.post(f"/orgs/{org.slug}/settings/currency/", {"currency": "eur"}).status_code \
        == 302
    org.refresh_from_db()
    assert org.currency == "EUR"
    assert admin.post(f"/orgs/{org.slug}/settings/currency/",
                      {"currency": "E1R"}).status_code == 400
    admin.post(f"/orgs/{org.slug}/settings/levels/{level.pk}/delete/")
    assert not Level.objects.exists()


def test_the_level_table_counts_who_holds_each_level(org):
    Level.objects.create(organisation=org, name="L5", annual_cost=1)
    PersonFactory(organisation=org, name="A", level="L5")
    PersonFactory(organisation=org, name="B", level="L9")
    PersonFactory(organisation=org, name="C")
    page = client_for(org, "admin").get(f"/orgs/{org.slug}/settings/levels/").content.decode()
    assert "1 active person has no level" in page
    assert "L9 (1)" in page


# Open seats where people look: the matrix, the org chart, the team page ------------------


def test_open_seats_show_in_the_matrix_the_chart_and_the_team_page(demo):
    viewer = client_for(demo, "viewer")
    seats = {p.team.name: p for p in Position.objects.filter(organisation=demo, status="open")
             .select_related("team")}
    deployment = seats["Model Deployment"]
    matrix = viewer.get(f"/orgs/{demo.slug}/").content.decode()
    header = matrix.split(f'id="team-{deployment.team_id}"', 1)[1].split("</th>", 1)[0]
    assert "+1 open" in header
    assert f'data-position="{deployment.pk}"' in header
    assert matrix.count("data-position=") == len(seats)
    chart = viewer.get(f"/orgs/{demo.slug}/chart/data/").json()
    drawn = {seat["positionId"]: seat for seat in chart["seats"]}
    # Under each lead the view shows (the first view opens the ML org, not the product org).
    shown = {node["id"] for node in chart["nodes"]}
    assert set(drawn) == {p.pk for p in seats.values() if p.team.lead_id in shown}
    assert deployment.pk in drawn
    assert drawn[deployment.pk]["parentId"] == deployment.team.lead_id
    assert all(isinstance(node["id"], int) for node in chart["nodes"])
    team_page = viewer.get(f"/orgs/{demo.slug}/teams/{deployment.team_id}/").content.decode()
    assert f'data-position="{deployment.pk}"' in team_page
    assert '<span data-open-count>1</span>' in team_page
    # Filled, the seat is nowhere: the person is in the team instead.
    from pipelines.positions import position_fill

    person = demo.people.get(name="Erik Lund")
    position_fill(position=deployment, person=person)
    matrix = viewer.get(f"/orgs/{demo.slug}/").content.decode()
    assert f'data-position="{deployment.pk}"' not in matrix
    assert deployment.pk not in {s["positionId"] for s in
                                 viewer.get(f"/orgs/{demo.slug}/chart/data/").json()["seats"]}


# Editing a position in its row of the list (htmx) ---------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_position_is_edited_in_its_row(org, team, seat, editor):
    row = editor.get(f"/orgs/{org.slug}/positions/{seat.pk}/row/?edit=1", **HTMX)
    content = row.content.decode()
    assert row.status_code == 200
    assert content.startswith(f'<tr data-position="{seat.pk}" data-editing>')
    assert f'id="edit-{seat.pk}-title"' in content and 'value="ML engineer"' in content
    version = re.search(r'name="version" value="([^"]+)"', content)[1]
    saved = editor.post(f"/orgs/{org.slug}/positions/{seat.pk}/edit/", {
        "title": "Senior ML engineer", "team": team.pk, "role": "ml_engineer", "fte": 80,
        "version": version}, **HTMX)
    assert saved.status_code == 200
    assert saved.content.decode().startswith(f'<tr data-position="{seat.pk}" data-status="open">')
    assert "Senior ML engineer" in saved.content.decode()
    seat.refresh_from_db()
    assert (seat.title, seat.fte, seat.role) == ("Senior ML engineer", 80, "ml_engineer")


def test_a_refused_row_edit_comes_back_with_its_error_and_nothing_is_written(org, team, seat,
                                                                          editor):
    refused = editor.post(f"/orgs/{org.slug}/positions/{seat.pk}/edit/", {
        "title": "X", "team": team.pk, "role": "other", "fte": 0}, **HTMX)
    assert refused.status_code == 400
    assert "data-editing" in refused.content.decode()
    stale = editor.post(f"/orgs/{org.slug}/positions/{seat.pk}/edit/", {
        "title": "X", "team": team.pk, "role": "other", "fte": 50,
        "version": "2000-01-01T00:00:00+00:00"}, **HTMX)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    seat.refresh_from_db()
    assert (seat.title, seat.fte) == ("ML engineer", 50)


def test_a_viewer_gets_no_edit_row(org, seat, viewer):
    assert viewer.get(f"/orgs/{org.slug}/positions/{seat.pk}/row/?edit=1",
                      **HTMX).status_code == 403
    assert viewer.get(f"/orgs/{org.slug}/positions/{seat.pk}/row/", **HTMX).status_code == 200
