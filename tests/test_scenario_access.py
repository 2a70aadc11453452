"""Scenarios belong to their origin (orgdesign.access.policy): who sees a scenario, its comparisons
and its jobs is decided by the members of the live design it belongs to, tested as a table of
principals x resources, through the pages and the API; then the writes that once opened the
boundary (members and tokens on a scenario), the addresses, deletion and the cap."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import get_resolver

from orgdesign.jobs.models import Job
from orgdesign.jobs.runner import job_start
from orgdesign.scenarios.services import scenario_create
from teams import services
from teams.actor import Actor
from teams.models import (
    RESERVED_SLUGS,
    AccessRole,
    ApiToken,
    Door,
    Organisation,
    OrganisationAccess,
    Person,
)
from tests.api_helpers import token_client
from tests.db_state import db_state
from tests.factories import AccessFactory, OrganisationFactory, UserFactory, client_for

pytestmark = pytest.mark.django_db


@dataclass
class World:
    origin: Organisation
    public: Organisation  # a scenario of the origin, made by editor_a
    sibling: Organisation  # another scenario of the origin
    private: Organisation  # a private scenario of the origin, made by editor_b
    private_job: Job  # the copy job that made `private`
    public_job: Job
    clients: dict
    pull_job: Job  # a directory pull: admins only


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(demo) -> World:
    clients = {role: client_for(demo, role) for role in ("viewer", "admin")}
    clients["editor_a"] = client_for(demo, "editor")
    clients["editor_b"] = client_for(demo, "editor")
    public = scenario_create(origin=demo, name="Infra under ML", creator=clients["editor_a"].user)
    sibling = scenario_create(origin=demo, name="Embedded", creator=clients["admin"].user)
    private = scenario_create(origin=demo, name="Secret hire", creator=clients["editor_b"].user,
                              private=True)
    actor_b = Actor(via=Door.BROWSER, user=clients["editor_b"].user)
    private_job = job_start(organisation=demo, kind="scenario_copy",
                            params={"name": "Secret hire", "private": True}, actor=actor_b)
    public_job = job_start(organisation=demo, kind="scenario_copy", params={"name": "Open"},
                           actor=Actor(via=Door.BROWSER, user=clients["editor_a"].user))
    pull_job = job_start(organisation=demo, kind="directory_pull",
                         params={"connector": 0, "preview": True},
                         actor=Actor(via=Door.BROWSER, user=clients["admin"].user))
    # Was an editor of the origin, then removed from it.
    removed = client_for(demo, "editor")
    services.access_revoke(organisation=demo, user=removed.user)
    clients["removed"] = removed
    # A role held on the scenario alone (as the old rule allowed): it grants nothing now.
    scenario_only = UserFactory()
    OrganisationAccess.objects.create(organisation=public, user=scenario_only, role="admin")
    clients["scenario_only"] = _login(scenario_only)
    other = OrganisationFactory(slug="other-tenant")
    clients["other_tenant"] = client_for(other, "admin")
    clients["origin_token"] = token_client(demo, "read")
    clients["admin_token"] = token_client(demo, "admin")
    clients["scenario_token"] = token_client(public, "read")
    clients["sibling_token"] = token_client(sibling, "read")
    clients["private_token"] = token_client(private, "read")
    clients["other_token"] = token_client(other, "read")
    return World(demo, public, sibling, private, private_job, public_job, clients, pull_job)


def _resources(w: World) -> dict[str, str]:
    o, s, s2, p = w.origin.slug, w.public.slug, w.sibling.slug, w.private.slug
    return {
        "S page": f"/orgs/{s}/",
        "S findings": f"/orgs/{s}/findings/",
        "P page": f"/orgs/{p}/",
        "cmp O>S": f"/orgs/{o}/compare/{s}/",
        "cmp S>O": f"/orgs/{s}/compare/{o}/",
        "cmp O>P": f"/orgs/{o}/compare/{p}/",
        "cmp S>S2": f"/orgs/{s}/compare/{s2}/",
        "P job": f"/orgs/{o}/jobs/{w.private_job.uid}/",
        "job": f"/orgs/{o}/jobs/{w.public_job.uid}/",
        "api S": f"/api/v1/orgs/{s}/people/",
        "api cmp S>O": f"/api/v1/orgs/{s}/compare/{o}/",
        "api cmp O>S": f"/api/v1/orgs/{o}/compare/{s}/",
        "api cmp S>S2": f"/api/v1/orgs/{s}/compare/{s2}/",
        "api cmp S2>S": f"/api/v1/orgs/{s2}/compare/{s}/",
        "api cmp S>P": f"/api/v1/orgs/{s}/compare/{p}/",
        "api cmp O>P": f"/api/v1/orgs/{o}/compare/{p}/",
        "api cmp P>O": f"/api/v1/orgs/{p}/compare/{o}/",
        "api P job": f"/api/v1/orgs/{o}/jobs/{w.private_job.uid}/",
        "D job": f"/orgs/{o}/jobs/{w.pull_job.uid}/",
        "api D job": f"/api/v1/orgs/{o}/jobs/{w.pull_job.uid}/",
        "api merges": f"/api/v1/orgs/{o}/merges/",
    }


# The table: each principal's answer to each resource, in the order of COLUMNS: Y is 200, N is
# 404 (as if the design did not exist), - not asked. Logins are asked the pages and the API
# (their session answers there too); tokens the API only.
COLUMNS = ["S page", "S findings", "P page", "cmp O>S", "cmp S>O", "cmp O>P", "cmp S>S2",
           "P job", "job", "api S", "api cmp S>O", "api cmp O>S", "api cmp S>S2",
           "api cmp S2>S", "api cmp S>P", "api cmp O>P", "api cmp P>O", "api P job",
           "D job", "api D job", "api merges"]
ANSWER = {"Y": 200, "N": 404}
TABLE = {
    # one letter per entry of COLUMNS, in its order
    "viewer":           "YYNYYNYNYYYYYYNNNNNNY",
    "editor_a":         "YYNYYNYNYYYYYYNNNNNNY",
    "editor_b":         "YYYYYYYYYYYYYYYYYYNNY",
    "admin":            "YYYYYYYYYYYYYYYYYYYYY",
    "removed":          "NNNNNNNNNNNNNNNNNNNNN",
    "scenario_only":    "NNNNNNNNNNNNNNNNNNNNN",
    "other_tenant":     "NNNNNNNNNNNNNNNNNNNNN",
    "origin_token":     "---------NNYNNNNNN-NY",
    "admin_token":      "---------NNYNNNNNY-YY",
    "scenario_token":   "---------YYNNNNNNN-NN",
    "sibling_token":    "---------NNNNNNNNN-NN",
    "private_token":    "---------NNNNNNNYN-NN",
    "other_token":      "---------NNNNNNNNN-NN",
}  # fmt: skip


def test_the_table_covers_every_principal_and_resource(world):
    assert list(_resources(world)) == COLUMNS
    assert set(TABLE) == set(world.clients)
    assert all(len(row) == len(COLUMNS) for row in TABLE.values())
    assert {"Y", "N"} <= set("".join(TABLE.values())) <= {"Y", "N", "-"}


@pytest.mark.parametrize("principal", list(TABLE))
def test_who_sees_a_scenario_is_decided_by_its_origin(world, principal):
    client = world.clients[principal]
    resources = _resources(world)
    before = db_state()
    answers = {}
    expected = {}
    for column, mark in zip(COLUMNS, TABLE[principal], strict=True):
        if mark != "-":
            expected[column] = ANSWER[mark]
            answers[column] = client.get(resources[column]).status_code
    assert answers == expected
    assert db_state() == before


def test_a_compare_never_shows_what_the_caller_may_not_see(world):
    # The case 3: a sibling's secret through a scenario's token.
    hire = Person.objects.create(organisation=world.private, name="Secret Candidate")
    reader = world.clients["scenario_token"]
    response = reader.get(f"/api/v1/orgs/{world.public.slug}/compare/{world.private.slug}/")
    assert response.status_code == 404
    assert hire.name not in response.content.decode()
    # The creator sees it, by the same rule in the browser and the API.
    creator = world.clients["editor_b"]
    page = creator.get(f"/orgs/{world.origin.slug}/compare/{world.private.slug}/")
    assert hire.name in page.content.decode()
    api = creator.get(f"/api/v1/orgs/{world.origin.slug}/compare/{world.private.slug}/")
    assert hire.name in api.content.decode()


def test_removal_from_the_origin_closes_every_scenario_and_its_token_reads_no_live_data(world):
    # The case 1: a token on a scenario kept reading the origin after its maker left.
    editor = world.clients["editor_a"]
    assert editor.get(f"/orgs/{world.public.slug}/").status_code == 200
    services.access_revoke(organisation=world.origin, user=editor.user)
    for slug in (world.public.slug, world.sibling.slug):
        assert editor.get(f"/orgs/{slug}/").status_code == 404
        assert editor.get(f"/api/v1/orgs/{slug}/people/").status_code == 404


def test_nobody_is_added_to_a_scenario_alone(world):
    # The case 2: an editor added another tenant's admin to a scenario.
    stranger = world.clients["other_tenant"].user
    before = db_state()
    editor = world.clients["editor_a"]
    response = editor.post(f"/orgs/{world.public.slug}/members/",
                           {"username": stranger.username, "role": "admin"})
    assert response.status_code == 403
    admin = world.clients["admin"]
    response = admin.post(f"/orgs/{world.public.slug}/members/",
                          {"username": stranger.username, "role": "admin"})
    assert (response.status_code, response["Location"]) == (
        302, f"/orgs/{world.origin.slug}/members/")
    assert db_state() == before
    with pytest.raises(services.ValidationError, match="is a scenario"):
        services.access_grant(organisation=world.public, user=stranger, role="viewer")


def test_only_the_origins_admins_make_tokens_and_for_a_scenario_on_the_origins_page(world):
    editor = world.clients["editor_a"]
    before = db_state()
    assert editor.get(f"/orgs/{world.public.slug}/tokens/").status_code == 403
    assert editor.post(f"/orgs/{world.public.slug}/tokens/",
                       {"name": "mine", "scope": "read"}).status_code == 403
    assert db_state() == before

    admin = world.clients["admin"]
    redirect = admin.get(f"/orgs/{world.public.slug}/tokens/")
    assert redirect["Location"] == f"/orgs/{world.origin.slug}/tokens/"
    page = admin.post(f"/orgs/{world.origin.slug}/tokens/",
                      {"name": "Scenario reader", "scope": "read", "design": world.public.slug})
    assert page.status_code == 200
    token = ApiToken.objects.get(name="Scenario reader")
    assert token.organisation == world.public
    listing = admin.get(f"/orgs/{world.origin.slug}/tokens/").content.decode()
    assert f'data-token-design="{world.public.slug}"' in listing
    # Revoked from the origin's page too.
    admin.post(f"/orgs/{world.origin.slug}/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_design_of_another_family_cannot_be_chosen_for_a_token(world):
    admin = world.clients["admin"]
    before = db_state()
    response = admin.post(f"/orgs/{world.origin.slug}/tokens/",
                          {"name": "Elsewhere", "scope": "read", "design": "other-tenant"})
    assert response.status_code == 400
    assert db_state() == before


def test_job_addresses_are_not_guessable(world):
    admin = world.clients["admin"]
    assert isinstance(world.public_job.uid, uuid.UUID)
    assert admin.get(f"/orgs/{world.origin.slug}/jobs/{world.public_job.pk}/").status_code == 404
    assert admin.get(f"/orgs/{world.origin.slug}/jobs/{uuid.uuid4()}/").status_code == 404
    body = admin.get(f"/api/v1/orgs/{world.origin.slug}/jobs/{world.public_job.uid}/").json()
    assert body["id"] == str(world.public_job.uid)


def test_a_viewer_does_not_learn_a_private_scenarios_name_from_its_job(world):
    # The case 4.
    content = world.clients["viewer"].get(
        f"/orgs/{world.origin.slug}/jobs/{world.private_job.uid}/").content.decode()
    assert "Secret hire" not in content


def test_the_scenarios_page_lists_a_private_scenario_to_its_creator_and_admins_only(world):
    marker = f'data-organisation="{world.private.slug}"'
    for name, sees in (("viewer", False), ("editor_a", False), ("editor_b", True),
                       ("admin", True)):
        page = world.clients[name].get(f"/orgs/{world.origin.slug}/scenarios/")
        assert (marker in page.content.decode()) is sees, name


def test_a_copy_of_a_private_scenario_is_private(world):
    copy = scenario_create(origin=world.private, name="Secret hire, flatter",
                           creator=world.clients["admin"].user)
    assert (copy.private, copy.home, copy.scenario_of) == (True, world.origin, world.private)
    assert world.clients["viewer"].get(f"/orgs/{copy.slug}/").status_code == 404


def test_a_private_scenario_is_made_from_the_scenarios_page(world, demo):
    from tests.worker import run_worker

    editor = world.clients["editor_a"]
    response = editor.post(f"/orgs/{demo.slug}/scenarios/", {"name": "Quiet", "private": "on"})
    assert response.status_code == 302
    run_worker()
    made = Organisation.objects.get(name="Quiet")
    assert (made.private, made.created_by) == (True, editor.user)
    assert editor.get(f"/orgs/{made.slug}/").status_code == 200
    assert world.clients["viewer"].get(f"/orgs/{made.slug}/").status_code == 404


# Addresses ------------------------------------------------------------------------------------


def test_every_page_address_under_orgs_is_reserved():
    """Each literal word after /orgs/ in the URLconf is a page, so no slug may take it."""
    literal = set()
    for pattern in get_resolver().url_patterns:
        route = str(pattern.pattern)
        if route.startswith("orgs/") and not route.startswith("orgs/<"):
            literal.add(route.removeprefix("orgs/").split("/")[0])
    assert literal and literal <= RESERVED_SLUGS


def test_a_scenario_named_new_does_not_hide_behind_the_new_organisation_page(world, demo):
    copy = scenario_create(origin=demo, name="New", creator=world.clients["admin"].user)
    assert copy.slug == "new-2"
    assert world.clients["admin"].get("/orgs/new-2/").status_code == 200


def test_an_organisation_cannot_take_a_reserved_address(logged_in_client):
    before = Organisation.objects.count()
    response = logged_in_client.post("/orgs/new/", {"name": "New", "slug": "new"})
    assert response.status_code == 400
    assert "taken by a page of the app" in response.content.decode()
    assert Organisation.objects.count() == before


# Deleting and the cap ------------------------------------------------------------------------


def test_a_scenarios_creator_deletes_it_with_its_history_and_its_copies(world):
    creator = world.clients["editor_a"]
    scenario = world.public
    copy = scenario_create(origin=scenario, name="Further", creator=creator.user)
    Person.objects.filter(organisation=scenario).first().save()  # a history entry of its own
    assert Person.history.filter(history_org=scenario.pk).exists()

    assert creator.get(f"/orgs/{scenario.slug}/scenario/delete/").status_code == 200
    response = creator.post(f"/orgs/{scenario.slug}/scenario/delete/")

    assert response["Location"] == f"/orgs/{world.origin.slug}/scenarios/"
    assert not Organisation.objects.filter(pk__in=[scenario.pk, copy.pk]).exists()
    assert not Person.objects.filter(organisation_id__in=[scenario.pk, copy.pk]).exists()
    assert not Person.history.filter(history_org__in=[scenario.pk, copy.pk]).exists()
    assert Organisation.objects.filter(pk=world.origin.pk).exists()


@pytest.mark.parametrize("principal, allowed", [
    ("viewer", False), ("editor_b", False), ("admin", True), ("other_tenant", False),
])
def test_only_a_scenarios_creator_or_an_admin_deletes_it(world, principal, allowed):
    response = world.clients[principal].post(f"/orgs/{world.public.slug}/scenario/delete/")
    assert Organisation.objects.filter(pk=world.public.pk).exists() is not allowed
    assert response.status_code == (302 if allowed else 403 if principal != "other_tenant"
                                    else 404)


def test_the_live_design_is_not_deleted_as_a_scenario(world):
    before = db_state()
    response = world.clients["admin"].post(f"/orgs/{world.origin.slug}/scenario/delete/")
    assert response.status_code == 404
    assert db_state() == before


def test_a_design_has_at_most_the_scenarios_the_setting_allows(world, demo, settings):
    settings.ORGDESIGN_SCENARIOS_MAX = 3  # the world made three
    editor = world.clients["editor_a"]
    before = db_state()

    response = editor.post(f"/orgs/{demo.slug}/scenarios/", {"name": "One too many"})

    assert response.status_code == 400
    assert "has 3 scenarios, the most it may have" in response.content.decode()
    assert db_state() == before
    # A copy of a scenario counts against its home too.
    with pytest.raises(services.ValidationError, match="the most it may have"):
        scenario_create(origin=world.public, name="Nested", creator=editor.user)


def test_the_scenario_cap_is_fifty_by_default():
    from django.conf import settings

    assert settings.ORGDESIGN_SCENARIOS_MAX == 50


def test_deleting_the_live_design_deletes_its_scenarios(world):
    from orgdesign.scenarios.services import design_delete

    ids = [world.public.pk, world.sibling.pk, world.private.pk]
    design_delete(world.origin)
    assert not Organisation.objects.filter(pk__in=ids).exists()
    assert not Person.objects.filter(organisation_id__in=ids).exists()


def test_a_superuser_sees_every_scenario(world):
    boss = UserFactory(is_superuser=True)
    client = _login(boss)
    assert client.get(f"/orgs/{world.private.slug}/").status_code == 200


def test_the_admin_role_of_the_origin_is_the_role_in_its_scenarios(world):
    # An editor of the origin edits the scenario; a viewer only reads it.
    AccessFactory(organisation=world.origin, user=UserFactory(), role=AccessRole.VIEWER)
    viewer, editor = world.clients["viewer"], world.clients["editor_a"]
    person = Person.objects.filter(organisation=world.public).first()
    url = f"/orgs/{world.public.slug}/people/{person.pk}/deactivate/"
    assert viewer.post(url).status_code == 403
    assert editor.post(url).status_code in (200, 302)
    person.refresh_from_db()
    assert person.active is False


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_scenarios_their_home_and_withdraws_their_own_roles_and_tokens():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("teams", "0018_job_kind_scenario_fix")]
    after = [("teams", "0019_scenario_home_job_uid")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldOrganisation = old.get_model("teams", "Organisation")
    User = old.get_model("auth", "User")
    live = OldOrganisation.objects.create(slug="live", name="Live")
    copy = OldOrganisation.objects.create(slug="copy", name="Copy", scenario_of=live)
    copy_of_copy = OldOrganisation.objects.create(slug="copy-2", name="Copy 2", scenario_of=copy)
    maker, stranger = User.objects.create(username="maker"), User.objects.create(username="x")
    old_access = old.get_model("teams", "OrganisationAccess")
    old_access.objects.create(organisation=live, user=maker, role="editor")
    old_access.objects.create(organisation=copy, user=maker, role="admin")
    old_access.objects.create(organisation=copy, user=stranger, role="viewer")
    old_token = old.get_model("teams", "ApiToken")
    old_token.objects.create(organisation=copy, name="t", key_prefix="od_x", key_hash="a" * 64)
    old_token.objects.create(organisation=live, name="t", key_prefix="od_y", key_hash="b" * 64)
    old_job = old.get_model("teams", "Job")
    old_job.objects.create(organisation=live, kind="scenario_copy")
    old_job.objects.create(organisation=live, kind="scenario_copy")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    Organisation = new.get_model("teams", "Organisation")
    homes = dict(Organisation.objects.values_list("slug", "home_id"))
    assert homes == {"live": None, "copy": live.pk, "copy-2": live.pk}
    assert Organisation.objects.get(slug="copy").created_by_id == maker.pk
    access = new.get_model("teams", "OrganisationAccess").objects
    assert list(access.values_list("organisation_id", "user_id")) == [(live.pk, maker.pk)]
    tokens = new.get_model("teams", "ApiToken").objects
    revoked = {row: when is not None for row, when in tokens.values_list(
        "organisation_id", "revoked_at")}
    assert revoked == {copy.pk: True, live.pk: False}
    uids = list(new.get_model("teams", "Job").objects.values_list("uid", flat=True))
    assert len(set(uids)) == 2 and None not in uids
    assert copy_of_copy.pk in Organisation.objects.filter(home_id=live.pk).values_list(
        "pk", flat=True)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
