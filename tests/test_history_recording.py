"""Every door records who changed what: each write to the design leaves history entries that
name the change, its author (a login or an API token), the door it came through and the
organisation, and bulk writes record theirs without a query per row."""

import csv
import io
import sqlite3

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orgdesign.scenarios.services import scenario_create, scenario_promote
from pipelines.models import Engagement, Pipeline
from teams import services
from teams.history import WITH_ITS_TEAM
from teams.models import Door, Membership, Organisation, Person, Team
from teams.tokens import token_create
from tests.api_helpers import api_url, token_client
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    UserFactory,
    client_for,
)
from tests.pages import edit_data
from tests.scim_client import Scim, new_user
from tests.worker import run_worker

pytestmark = pytest.mark.django_db

# The tables of a design below the organisation itself.
DESIGN = (Person, Team, Membership, Pipeline, Engagement)


@pytest.fixture
def superuser() -> Client:
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def scim(org):
    """A SCIM client of acme (`.token` is its token)."""
    token, key = token_create(organisation=org, name="Entra ID", scope="write")
    client = Scim(key)
    client.token = token
    return client


@pytest.fixture
def real_sqlite_limits(monkeypatch):
    """Django 5.2 assumes SQLite allows 999 variables a statement, and splits a bulk insert of
    wide rows into batches of about fifty; the SQLite in use allows far more (Django 6 asks
    it). With its real limit, counting statements measures the code's batching, not that
    assumption. Nothing changes on PostgreSQL."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        monkeypatch.setattr(connection.features, "max_query_params", limit)


def history_of(model, pk: int) -> list:
    """The history entries of one row, oldest first."""
    return list(model.history.filter(id=pk).order_by("history_date", "history_id"))


def author(entry) -> tuple:
    """Who an entry says made the change: door, login, token, simple-history's user, and the
    organisation it is filed under."""
    return (entry.updated_via, entry.updated_by_id, entry.updated_by_token_id,
            entry.history_user_id, entry.history_org)


def design_ids(organisation) -> dict:
    """The ids of every row of the design, by table, in order."""
    rows = {
        Person: Person.objects.filter(organisation=organisation),
        Team: Team.objects.filter(organisation=organisation),
        Membership: Membership.objects.filter(team__organisation=organisation),
        Pipeline: Pipeline.objects.filter(organisation=organisation),
        Engagement: Engagement.objects.filter(pipeline__organisation=organisation),
    }
    return {model: sorted(query.values_list("pk", flat=True)) for model, query in rows.items()}


def marks() -> dict:
    """The last history entry of each table so far, to find the entries written after."""
    return {
        model: model.history.aggregate(last=Max("history_id"))["last"] or 0
        for model in (Organisation, *DESIGN)
    }


def written_since(mark: dict, model, **filters) -> list:
    return list(
        model.history.filter(history_id__gt=mark[model], **filters)
        .order_by("history_date", "history_id")
    )


def csv_bytes(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def preview(client, slug: str, kind: str, data: bytes, **fields) -> str:
    """Upload a file to the import page (kind: people or matrix); the ticket of its preview."""
    response = client.post(
        f"/orgs/{slug}/import/{kind}/",
        {"file": SimpleUploadedFile(f"{kind}.csv", data, content_type="text/csv"), **fields},
    )
    ticket = response.context["outcome"].ticket
    assert ticket, "the preview offers no apply"
    return ticket


def apply(client, slug: str, kind: str, ticket: str):
    response = client.post(f"/orgs/{slug}/import/{kind}/apply/", {"ticket": ticket})
    assert response.status_code == 200
    assert response.context["outcome"].state == "applied"
    return response


# The browser -------------------------------------------------------------------------------


def test_a_person_edited_in_the_browser_is_recorded_with_its_author(org, editor):
    person = PersonFactory(organisation=org, title="Engineer")

    response = editor.post(
        f"/orgs/acme/people/{person.pk}/edit/", edit_data(person, title="Lead")
    )

    assert response.status_code == 302
    created, edited = history_of(Person, person.pk)
    assert (created.history_type, created.title) == ("+", "Engineer")
    assert (edited.history_type, edited.title) == ("~", "Lead")
    assert author(edited) == (Door.BROWSER, editor.user.pk, None, editor.user.pk, org.pk)


@pytest.mark.parametrize("page", ["team", "person"])
def test_a_member_removed_in_the_browser_is_recorded_with_its_author(org, editor, page):
    person = PersonFactory(organisation=org)
    team = TeamFactory(organisation=org)
    membership = MembershipFactory(person=person, team=team, allocation=60)
    url = {
        "team": f"/orgs/acme/teams/{team.pk}/members/{person.pk}/remove/",
        "person": f"/orgs/acme/people/{person.pk}/memberships/{team.pk}/remove/",
    }[page]

    assert editor.post(url).status_code == 302

    assert not Membership.objects.filter(pk=membership.pk).exists()
    added, removed = history_of(Membership, membership.pk)
    assert (removed.history_type, removed.person_id, removed.team_id, removed.allocation) == (
        "-", person.pk, team.pk, 60
    )
    assert removed.history_change_reason is None
    assert author(removed) == (Door.BROWSER, editor.user.pk, None, editor.user.pk, org.pk)


def test_a_matrix_cell_set_then_cleared_in_the_browser_is_recorded_with_its_author(
    org, editor
):
    pipeline = PipelineFactory(organisation=org)
    team = TeamFactory(organisation=org)
    url = f"/orgs/acme/cells/{pipeline.pk}/{team.pk}/"

    assert editor.post(url, {"role": "owner"}).status_code == 200
    cell = Engagement.objects.get(pipeline=pipeline, team=team)
    assert editor.post(url, {"role": ""}).status_code == 200

    assert not Engagement.objects.filter(pk=cell.pk).exists()
    entries = history_of(Engagement, cell.pk)
    assert [(e.history_type, e.role, e.pipeline_id, e.team_id) for e in entries] == [
        ("+", "owner", pipeline.pk, team.pk),
        ("-", "owner", pipeline.pk, team.pk),
    ]
    for entry in entries:
        assert author(entry) == (Door.BROWSER, editor.user.pk, None, editor.user.pk, org.pk)


# The API -----------------------------------------------------------------------------------


def test_a_person_patched_through_the_api_is_recorded_with_its_token(org, writer):
    person = PersonFactory(organisation=org, title="Engineer")

    response = writer.patch(api_url(org, f"people/{person.pk}/"), {"title": "Lead"})

    assert response.status_code == 200, response.json()
    *_, patched = history_of(Person, person.pk)
    assert (patched.history_type, patched.title) == ("~", "Lead")
    assert author(patched) == (Door.API, None, writer.token.pk, None, org.pk)


def test_a_team_deleted_through_the_api_is_recorded_with_its_memberships(org, writer):
    # The browser has no way to delete a team: the API, SCIM and the admin do.
    team = TeamFactory(organisation=org, name="Platform")
    members = [MembershipFactory(person=PersonFactory(organisation=org), team=team)
               for _ in range(2)]

    assert writer.delete(api_url(org, f"teams/{team.pk}/")).status_code == 204

    *_, deleted = history_of(Team, team.pk)
    assert (deleted.history_type, deleted.name) == ("-", "Platform")
    assert author(deleted) == (Door.API, None, writer.token.pk, None, org.pk)
    for membership in members:
        *_, gone = history_of(Membership, membership.pk)
        assert (gone.history_type, gone.history_change_reason) == ("-", WITH_ITS_TEAM)
        assert author(gone) == (Door.API, None, writer.token.pk, None, org.pk)


def test_a_people_sync_records_every_person_and_membership_it_changes(org, writer):
    models = TeamFactory(organisation=org, name="Models")
    platform = TeamFactory(organisation=org, name="Platform")
    ada = PersonFactory(organisation=org, external_id="E1", title="Engineer")
    bob = PersonFactory(organisation=org, external_id="E2")  # missing from the batch: leaves
    cy = PersonFactory(organisation=org, external_id="E3")
    ada_in_models = MembershipFactory(person=ada, team=models, allocation=100)
    cy_in_models = MembershipFactory(person=cy, team=models, allocation=100)
    mark = marks()

    response = writer.post(api_url(org, "people/sync/"), {"mode": "snapshot", "people": [
        {"external_id": "E1", "name": ada.name, "title": "Lead",
         "teams": [{"team": "Platform", "allocation": 100}]},
        {"external_id": "E3", "name": cy.name, "teams": [{"team": "Models", "allocation": 50}]},
        {"external_id": "E9", "name": "Dee", "teams": [{"team": "Models", "allocation": 40}]},
    ]})

    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 1, "updated": 2, "deactivated": 1, "unchanged": 0,
                               "errors": []}
    dee = Person.objects.get(organisation=org, external_id="E9")
    people = written_since(mark, Person)
    assert sorted((e.history_type, e.id, e.title, e.active) for e in people) == sorted([
        ("+", dee.pk, "", True),
        ("~", ada.pk, "Lead", True),
        ("~", cy.pk, "", True),  # only an allocation changed
        ("~", bob.pk, "", False),  # deactivated
    ])
    memberships = written_since(mark, Membership)
    assert sorted(
        (e.history_type, e.person_id, e.team_id, e.allocation) for e in memberships
    ) == sorted([
        ("-", ada.pk, models.pk, 100),
        ("+", ada.pk, platform.pk, 100),
        ("~", cy.pk, models.pk, 50),
        ("+", dee.pk, models.pk, 40),
    ])
    assert {e.id for e in memberships if e.history_type != "+"} == {
        ada_in_models.pk, cy_in_models.pk
    }
    for entry in people + memberships:
        assert author(entry) == (Door.API, None, writer.token.pk, None, org.pk)
    assert written_since(mark, Team) == written_since(mark, Organisation) == []


def test_a_people_sync_run_by_the_worker_is_recorded_with_its_token(org, writer):
    response = writer.post(api_url(org, "people/sync/"), {
        "async": True, "people": [{"external_id": "E1", "name": "Ada"}],
    })
    assert response.status_code == 202

    run_worker()

    person = Person.objects.get(organisation=org, external_id="E1")
    [added] = history_of(Person, person.pk)
    assert added.history_type == "+"
    assert author(added) == (Door.API, None, writer.token.pk, None, org.pk)


# Bulk writes: a fixed number of queries, whatever the size -------------------------------


def sync_queries(size: int, *, updating: bool) -> tuple[int, Organisation]:
    """The queries of a people/sync that creates (or updates) `size` people, each in a team
    and all under one manager, in an organisation of its own."""
    organisation = OrganisationFactory()
    services.team_create(organisation=organisation, name="Models", kind="modeling")
    client = token_client(organisation, "write")
    people = [
        {"external_id": f"E{n}", "name": f"Person {n}", "manager_external_id": "E0" if n else None,
         "teams": [{"team": "Models", "allocation": 100}]}
        for n in range(size)
    ]
    if updating:
        assert client.post(api_url(organisation, "people/sync/"), {"people": people}
                           ).status_code == 200
        people = [dict(p, title="Changed", teams=[{"team": "Models", "allocation": 50}])
                  for p in people]
    with CaptureQueriesContext(connection) as queries:
        response = client.post(api_url(organisation, "people/sync/"), {"people": people})
    assert response.status_code == 200, response.json()
    assert response.json()["updated" if updating else "created"] == size
    return len(queries), organisation


@pytest.mark.usefixtures("real_sqlite_limits")
@pytest.mark.parametrize(("updating", "kind"), [
    pytest.param(False, "+", id="creating"),
    pytest.param(True, "~", id="updating"),
])
def test_a_people_sync_records_its_history_without_a_query_per_person(updating, kind):
    small, _ = sync_queries(20, updating=updating)
    large, organisation = sync_queries(200, updating=updating)

    assert large == small
    for model in (Person, Membership):
        entries = model.history.filter(history_org=organisation.pk, history_type=kind)
        assert entries.count() == 200, model.__name__
        assert set(entries.values_list("updated_via", "updated_by_token_id")) == {
            (Door.API, organisation.api_tokens.get().pk)
        }


def roster_queries(size: int) -> tuple[int, Organisation, Client]:
    """The queries of applying a previewed roster of `size` new people, each in a team."""
    organisation = OrganisationFactory()
    services.team_create(organisation=organisation, name="Models", kind="modeling")
    editor = client_for(organisation, "editor")
    roster = csv_bytes([["external_id", "name", "teams"],
                        *([f"E{n}", f"Person {n}", "Models:100"] for n in range(size))])
    ticket = preview(editor, organisation.slug, "people", roster, mode="delta")
    with CaptureQueriesContext(connection) as queries:
        apply(editor, organisation.slug, "people", ticket)
    return len(queries), organisation, editor


@pytest.mark.usefixtures("real_sqlite_limits")
def test_a_roster_import_records_its_history_without_a_query_per_person():
    small, _, _ = roster_queries(20)
    large, organisation, editor = roster_queries(200)

    assert large == small
    for model in (Person, Membership):
        entries = model.history.filter(history_org=organisation.pk)
        assert entries.count() == 200, model.__name__
        assert set(entries.values_list(
            "history_type", "updated_via", "updated_by_id", "history_user_id"
        )) == {("+", Door.IMPORT, editor.user.pk, editor.user.pk)}


# SCIM --------------------------------------------------------------------------------------


def test_a_user_created_patched_and_deleted_through_scim_is_recorded_with_its_token(org, scim):
    created = scim.post("Users", new_user(userName="ada@example.com", externalId="HR-1",
                                          displayName="Ada"))
    assert created.status_code == 201, created.content
    person = Person.objects.get(organisation=org, external_id="HR-1")
    patched = scim.patch(f"Users/{person.pk}",
                         [{"op": "replace", "path": "title", "value": "Scientist"}])
    assert patched.status_code == 200, patched.content
    assert scim.delete(f"Users/{person.pk}").status_code == 204

    entries = history_of(Person, person.pk)
    assert [(e.history_type, e.name, e.title, e.active) for e in entries] == [
        ("+", "Ada", "", True),
        ("~", "Ada", "Scientist", True),
        ("~", "Ada", "Scientist", False),
    ]
    assert entries[-1].scim_deleted_at is not None
    for entry in entries:
        assert author(entry) == (Door.SCIM, None, scim.token.pk, None, org.pk)


def test_a_group_deleted_through_scim_records_its_team_and_members_as_deleted(org, scim):
    team = TeamFactory(organisation=org, name="Platform")
    membership = MembershipFactory(person=PersonFactory(organisation=org), team=team)

    assert scim.delete(f"Groups/{team.pk}").status_code == 204

    *_, deleted = history_of(Team, team.pk)
    assert (deleted.history_type, deleted.name) == ("-", "Platform")
    assert author(deleted) == (Door.SCIM, None, scim.token.pk, None, org.pk)
    *_, gone = history_of(Membership, membership.pk)
    assert (gone.history_type, gone.history_change_reason) == ("-", WITH_ITS_TEAM)
    assert author(gone) == (Door.SCIM, None, scim.token.pk, None, org.pk)


# The admin ---------------------------------------------------------------------------------


def test_a_team_changed_in_the_admin_is_recorded_with_its_author(org, superuser):
    team = TeamFactory(organisation=org, name="Platform", kind="infrastructure")

    response = superuser.post(f"/admin/teams/team/{team.pk}/change/", {
        "organisation": org.pk, "name": "Serving", "kind": "deployment", "lead": "",
        "kpi": "", "kpi_type": "",
    })

    assert response.status_code == 302
    created, changed = history_of(Team, team.pk)
    assert (changed.history_type, changed.name, changed.kind) == ("~", "Serving", "deployment")
    assert author(changed) == (Door.ADMIN, superuser.user.pk, None, superuser.user.pk, org.pk)


def test_a_person_changed_in_the_admin_is_recorded_once(org, superuser):
    person = PersonFactory(organisation=org, title="Engineer")
    mark = marks()

    response = superuser.post(f"/admin/teams/person/{person.pk}/change/", {
        "organisation": org.pk, "external_id": person.external_id, "name": person.name,
        "email": person.email, "title": "Lead", "role": person.role,
        "worker_type": person.worker_type, "manager": "", "active": "on",
    })

    assert response.status_code == 302
    [changed] = written_since(mark, Person)
    assert (changed.history_type, changed.title) == ("~", "Lead")
    assert author(changed) == (Door.ADMIN, superuser.user.pk, None, superuser.user.pk, org.pk)


def test_a_team_deleted_in_the_admin_is_recorded_with_its_members_and_its_author(
    org, superuser
):
    team = TeamFactory(organisation=org, name="Platform")
    membership = MembershipFactory(person=PersonFactory(organisation=org), team=team)

    response = superuser.post(f"/admin/teams/team/{team.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    *_, deleted = history_of(Team, team.pk)
    *_, gone = history_of(Membership, membership.pk)
    assert (deleted.history_type, deleted.name) == ("-", "Platform")
    assert (gone.history_type, gone.history_change_reason) == ("-", WITH_ITS_TEAM)
    for entry in (deleted, gone):
        assert author(entry) == (Door.ADMIN, superuser.user.pk, None, superuser.user.pk, org.pk)


def test_a_membership_and_a_cell_deleted_in_the_admin_are_recorded_with_their_author(
    org, superuser
):
    membership = MembershipFactory(person=PersonFactory(organisation=org),
                                   team=TeamFactory(organisation=org))
    cell = EngagementFactory(pipeline=PipelineFactory(organisation=org),
                             team=TeamFactory(organisation=org), role="contributor")

    for url in (f"/admin/teams/membership/{membership.pk}/delete/",
                f"/admin/pipelines/engagement/{cell.pk}/delete/"):
        assert superuser.post(url, {"post": "yes"}).status_code == 302

    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not Engagement.objects.filter(pk=cell.pk).exists()
    for model, row in ((Membership, membership), (Engagement, cell)):
        *_, deleted = history_of(model, row.pk)
        assert deleted.history_type == "-", model.__name__
        assert author(deleted) == (
            Door.ADMIN, superuser.user.pk, None, superuser.user.pk, org.pk
        ), model.__name__


# The matrix import -------------------------------------------------------------------------


def test_a_matrix_import_records_the_cells_it_sets_and_clears(org, editor):
    models = TeamFactory(organisation=org, name="Models")
    platform = TeamFactory(organisation=org, name="Platform")
    ranking = PipelineFactory(organisation=org, name="Ranking")
    cleared = EngagementFactory(pipeline=ranking, team=platform, role="contributor")
    mark = marks()

    ticket = preview(editor, "acme", "matrix", csv_bytes([
        ["pipeline", "Models", "Platform"],
        ["Ranking", "owner", ""],
    ]))

    apply(editor, "acme", "matrix", ticket)

    set_cell = Engagement.objects.get(pipeline=ranking, team=models)
    entries = written_since(mark, Engagement)
    assert [(e.history_type, e.id, e.team_id, e.role) for e in entries] == [
        ("+", set_cell.pk, models.pk, "owner"),
        ("-", cleared.pk, platform.pk, "contributor"),
    ]
    for entry in entries:
        assert author(entry) == (Door.IMPORT, editor.user.pk, None, editor.user.pk, org.pk)


# Scenarios ---------------------------------------------------------------------------------


def build_design(organisation: Organisation) -> Person:
    """A small design with a row in every table; returns its most senior person."""
    head = PersonFactory(organisation=organisation, name="Head")
    lead = PersonFactory(organisation=organisation, name="Lead", manager=head)
    team = TeamFactory(organisation=organisation, name="Models", lead=lead)
    MembershipFactory(person=lead, team=team)
    MembershipFactory(person=PersonFactory(organisation=organisation, manager=lead), team=team)
    EngagementFactory(pipeline=PipelineFactory(organisation=organisation, name="Ranking",
                                               pm_owner=head), team=team)
    return head


def test_a_scenario_copy_is_recorded_once_on_the_new_organisation(org):
    build_design(org)
    mark = marks()

    scenario = scenario_create(origin=org, name="Try it", creator=UserFactory())

    assert Person.objects.filter(organisation=scenario).count() == 3  # it did copy
    entries = written_since(mark, Organisation)
    assert [(e.history_type, e.id, e.history_org, e.history_change_reason) for e in entries] == [
        ("+", scenario.pk, scenario.pk, "Copied from Acme (acme)")
    ]
    for model in DESIGN:
        assert written_since(mark, model) == [], model.__name__


def test_a_scenario_copy_of_a_design_with_an_ml_head_is_recorded_once_too(org):
    services.organisation_update(organisation=org, ml_head=build_design(org))
    mark = marks()

    scenario = scenario_create(origin=org, name="Try it", creator=UserFactory())

    assert scenario.ml_head.name == "Head"
    entries = written_since(mark, Organisation)
    assert [(e.history_type, e.id, e.history_change_reason) for e in entries] == [
        ("+", scenario.pk, "Copied from Acme (acme)")
    ]


def test_a_promotion_is_recorded_once_on_the_origin_and_nowhere_in_its_design(org):
    build_design(org)
    scenario = scenario_create(origin=org, name="Flatter", creator=UserFactory())
    services.team_update(team=scenario.teams.get(), name="Modeling")
    removed = design_ids(org)
    mark = marks()

    backup = scenario_promote(scenario=scenario, creator=UserFactory())

    assert org.teams.get().name == "Modeling"  # it did promote
    [entry] = written_since(mark, Organisation, history_org=org.pk)
    assert (entry.history_type, entry.id, entry.updated_via) == ("~", org.pk, Door.PROMOTION)
    reason = entry.history_change_reason
    assert reason.startswith("Promoted Flatter (flatter)")
    assert f"{backup.name} ({backup.slug})" in reason
    # Every row it removed has a deletion entry, so it can be brought back; every row it
    # copied in an entry of its addition, so the design reads back from history at any
    # moment (`?as_of=`). Both with the promotion's words.
    added = design_ids(org)
    for model, before_ids in removed.items():
        entries = written_since(mark, model, history_org=org.pk)
        assert {(e.history_type, e.updated_via) for e in entries} <= {
            ("-", Door.PROMOTION), ("+", Door.PROMOTION)}
        assert sorted(e.id for e in entries if e.history_type == "-") == before_ids, \
            model.__name__
        assert sorted(e.id for e in entries if e.history_type == "+") == added[model], \
            model.__name__
        assert all(e.history_change_reason == reason for e in entries), model.__name__


def test_a_promotion_asked_for_in_the_browser_is_recorded_with_who_asked(org):
    build_design(org)
    admin = client_for(org, "admin")
    scenario = scenario_create(origin=org, name="Flatter", creator=admin.user)
    mark = marks()

    assert admin.post(f"/orgs/{scenario.slug}/promote/").status_code == 302
    run_worker()

    [entry] = written_since(mark, Organisation, history_org=org.pk)
    assert (entry.history_type, entry.history_change_reason[:9]) == ("~", "Promoted ")
    assert author(entry) == (Door.PROMOTION, admin.user.pk, None, admin.user.pk, org.pk)
    for model in DESIGN:
        entries = written_since(mark, model, history_org=org.pk)
        assert entries, model.__name__
        for row in entries:
            assert row.history_type in ("-", "+")
            assert author(row) == author(entry), model.__name__


# Deletes that cascade ----------------------------------------------------------------------


def test_an_organisation_deleted_in_the_admin_is_recorded_as_deleted(org, editor, superuser):
    assert editor.post("/orgs/acme/settings/", {
        "name": "Acme by mistake", "span_max": 10, "layers_max": 6,
    }).context["saved"]
    assert history_of(Organisation, org.pk)[-1].updated_by_id == editor.user.pk

    response = superuser.post(f"/admin/teams/organisation/{org.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Organisation.objects.filter(pk=org.pk).exists()
    *_, deleted = history_of(Organisation, org.pk)
    assert (deleted.history_type, deleted.name) == ("-", "Acme by mistake")


def test_the_demo_resets_after_a_login_edited_it(demo):
    editor = client_for(demo, "editor")
    person = demo.people.order_by("id").first()
    assert editor.post(f"/orgs/demo/people/{person.pk}/edit/",
                       edit_data(person, title="Edited")).status_code == 302

    call_command("seed_demo", "--reset", verbosity=0)

    assert not Person.objects.filter(pk=person.pk).exists()
    # A reset deletes the old demo outright (orgdesign.scenarios.services.design_delete), its
    # history with it: the new demo starts a history of its own.
    assert history_of(Person, person.pk) == []
    assert Organisation.objects.get(slug="demo").people.exists()
