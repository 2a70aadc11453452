"""A scenario as a set of changes (issue 30, point 1): the change list against the base kept
at the copy, pure on plain rows, then through a real copy, the API and the compare page."""

import json
import zlib

import pytest
from django.db import connection

from orgdesign.analysis.changeset import changes_between
from orgdesign.scenarios.base import changes_of, read_design
from orgdesign.scenarios.services import scenario_create
from teams import services
from teams.models import Person, ScenarioBase, Team
from tests.design_rows import base_rows, person
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)


class TestChangesBetween:
    def test_the_same_design_has_no_change(self):
        assert changes_between(base_rows(), base_rows()) == []

    def test_a_manager_moved_is_said_with_names(self):
        now = base_rows()
        now.people["3"] = {**now.people["3"], "manager": "1"}
        (change,) = changes_between(base_rows(), now)
        assert change.key == "person:3:manager"
        assert (change.before, change.after) == ("2", "1")
        assert change.words == "Dana Kim: manager Priya Shah → Amara Okafor"

    def test_every_kind_of_change(self):
        now = base_rows()
        now.people["new7"] = person("Mei Chen", "1")
        del now.people["2"]
        now.people["3"] = {**now.people["3"], "manager": "1", "title": "Staff engineer"}
        now.teams["10"] = {**now.teams["10"], "lead": "1"}
        now.memberships["3-10"] = {"allocation": 50}
        now.memberships["new7-10"] = {"allocation": 100}
        now.pipelines["20"] = {**now.pipelines["20"], "pm_owner": "new7"}
        del now.engagements["20-10"]
        words = {c.key: c.words for c in changes_between(base_rows(), now)}
        assert words == {
            "person:2": "Priya Shah (person) removed",
            "person:3:manager": "Dana Kim: manager Priya Shah → Amara Okafor",
            "person:3:title": "Dana Kim: title ML engineer → Staff engineer",
            "person:new7": "Mei Chen (person) added",
            "team:10:lead": "ML Platform: lead Priya Shah → Amara Okafor",
            "membership:3-10:allocation": "Dana Kim in ML Platform: allocation 100 → 50",
            "membership:new7-10": "Mei Chen in ML Platform at 100% (joins)",
            "pipeline:20:pm_owner": "Churn: PM nobody → Mei Chen",
            "engagement:20-10": "Churn × ML Platform: no longer engaged",
        }

    def test_the_list_is_in_a_stable_order(self):
        now = base_rows()
        now.people["3"] = {**now.people["3"], "active": False}
        now.people["1"] = {**now.people["1"], "title": "VP"}
        keys = [c.key for c in changes_between(base_rows(), now)]
        assert keys == ["person:1:title", "person:3:active"]


@pytest.fixture
def origin(db):
    org = OrganisationFactory(slug="acme")
    head = PersonFactory(organisation=org, name="Amara Okafor")
    lead = PersonFactory(organisation=org, name="Priya Shah", manager=head)
    PersonFactory(organisation=org, name="Dana Kim", manager=lead)
    team = TeamFactory(organisation=org, name="ML Platform", lead=lead)
    MembershipFactory(team=team, person=lead, allocation=100)
    pipeline = PipelineFactory(organisation=org, name="Churn")
    EngagementFactory(pipeline=pipeline, team=team, role="owner")
    return org


def test_a_copy_keeps_its_base_and_lists_what_changed_since(origin):
    scenario = scenario_create(origin=origin, name="Flatter")
    assert ScenarioBase.objects.get(scenario=scenario).origin == origin
    assert changes_of(scenario) == []
    dana = Person.objects.get(organisation=scenario, name="Dana Kim")
    amara = Person.objects.get(organisation=scenario, name="Amara Okafor")
    services.person_update(person=dana, manager=amara)
    team = Team.objects.get(organisation=scenario)
    services.membership_set(person=dana, team=team, allocation=40)
    # The live design changing meanwhile is not the scenario's change.
    live_priya = Person.objects.get(organisation=origin, name="Priya Shah")
    services.person_update(person=live_priya, title="Director")
    changes = changes_of(scenario)
    live_dana = Person.objects.get(organisation=origin, name="Dana Kim")
    live_team = Team.objects.get(organisation=origin)
    assert [(c.key, c.words) for c in changes] == [
        (f"person:{live_dana.pk}:manager", "Dana Kim: manager Priya Shah → Amara Okafor"),
        (f"membership:{live_dana.pk}-{live_team.pk}", "Dana Kim in ML Platform at 40% (joins)"),
    ]


def test_the_base_is_kept_compressed_and_read_back_as_the_origin_was(origin):
    scenario = scenario_create(origin=origin, name="Packed")
    with connection.cursor() as cursor:
        cursor.execute("SELECT data, ids FROM teams_scenariobase WHERE scenario_id = %s",
                       [scenario.pk])
        data, ids = cursor.fetchone()
    as_json = json.loads(zlib.decompress(bytes(data)))
    assert as_json == read_design(origin).as_dict()
    assert len(bytes(data)) < len(json.dumps(as_json))
    copied = {str(p.pk): p.name for p in Person.objects.filter(organisation=scenario)}
    people = json.loads(zlib.decompress(bytes(ids)))["people"]
    assert {copied[str(new)] for new in people.values()} == {
        p.name for p in Person.objects.filter(organisation=origin)}
    assert ScenarioBase.objects.get(scenario=scenario).data == as_json


def test_the_change_list_is_kept_until_the_scenario_or_its_base_changes(
        origin, django_assert_num_queries):
    scenario = scenario_create(origin=origin, name="Kept")
    dana = Person.objects.get(organisation=scenario, name="Dana Kim")
    services.person_update(person=dana, title="Lead")
    first = changes_of(scenario)
    with django_assert_num_queries(1):  # the scenario's version and its base's, no more
        assert changes_of(scenario) is first
    # The same Python object, written through another: the version is read afresh.
    services.person_update(person=Person.objects.get(pk=dana.pk), title="Staff")
    assert [c.after for c in changes_of(scenario)] == ["Staff"]
    # A rebase takes a new base without writing a row of the scenario (the conflict kept for
    # the scenario): the list is made again, counted from the new base.
    from orgdesign.scenarios.merge import rebase_plan, scenario_rebase
    from teams.actor import SYSTEM
    services.person_update(person=Person.objects.get(organisation=origin, name="Dana Kim"),
                           title="Head")
    [key] = rebase_plan(scenario).conflicts
    assert scenario_rebase(scenario=scenario, resolutions={key: "scenario"},
                           actor=SYSTEM)["written"] == 0
    assert [(c.before, c.after) for c in changes_of(scenario)] == [("Head", "Staff")]


def test_a_scenario_without_a_base_has_no_change_list(origin):
    scenario = scenario_create(origin=origin, name="Old")
    ScenarioBase.objects.filter(scenario=scenario).delete()
    assert changes_of(scenario) is None


def test_read_design_reads_in_a_fixed_number_of_queries(origin, django_assert_num_queries):
    with django_assert_num_queries(6):
        rows = read_design(origin)
    assert len(rows.people) == 3 and len(rows.engagements) == 1
    for _ in range(20):
        PersonFactory(organisation=origin)
    with django_assert_num_queries(6):
        assert len(read_design(origin).people) == 23


@pytest.fixture
def moved(origin):
    scenario = scenario_create(origin=origin, name="Flatter")
    services.person_update(person=Person.objects.get(organisation=scenario, name="Dana Kim"),
                           manager=Person.objects.get(organisation=scenario,
                                                      name="Amara Okafor"))
    return scenario


def test_the_api_lists_the_changes_to_whoever_may_compare(origin, moved):
    from tests.api_helpers import token_client

    url = f"/api/v1/orgs/acme/scenarios/{moved.slug}/changes/"
    body = token_client(origin, "read").get(url).json()
    assert body["count"] == 1
    (change,) = body["results"]
    dana = Person.objects.get(organisation=origin, name="Dana Kim")
    amara = Person.objects.get(organisation=origin, name="Amara Okafor")
    assert change == {
        "key": f"person:{dana.pk}:manager",
        "object": {"type": "person", "id": str(dana.pk), "name": "Dana Kim"},
        "field": "manager", "action": "changed",
        "before": str(Person.objects.get(organisation=origin, name="Priya Shah").pk),
        "after": str(amara.pk),
        "words": "Dana Kim: manager Priya Shah → Amara Okafor",
        "fixes": [], "brings": [],
    }
    assert client_for(origin, "viewer").get(url).json()["count"] == 1
    other = OrganisationFactory(slug="other")
    assert token_client(other, "read").get(url).status_code == 404
    assert client_for(other, "admin").get(url).status_code == 404
    # Only a scenario of this design: not the design itself, nor another's scenario.
    assert token_client(origin, "read").get(
        "/api/v1/orgs/acme/scenarios/acme/changes/").status_code == 404
    ScenarioBase.objects.all().delete()
    assert token_client(origin, "read").get(url).status_code == 409


def test_a_private_scenarios_changes_are_its_creators_and_the_admins(origin):
    editor = client_for(origin, "editor")
    private = scenario_create(origin=origin, name="Secret", creator=editor.user, private=True)
    url = f"/api/v1/orgs/acme/scenarios/{private.slug}/changes/"
    assert editor.get(url).status_code == 200
    assert client_for(origin, "admin").get(url).status_code == 200
    assert client_for(origin, "editor").get(url).status_code == 404


def test_the_compare_page_loads_the_changes_in_words(origin, moved):
    viewer = client_for(origin, "viewer")
    page = viewer.get(f"/orgs/acme/compare/{moved.slug}/").content.decode()
    url = f"/orgs/acme/scenarios/{moved.slug}/changes/"
    assert f'hx-get="{url}"' in page
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        text = viewer.get(url, **headers).content.decode()
        assert 'data-scenario-changes="1"' in text
        assert "Dana Kim: manager Priya Shah → Amara Okafor" in text
    # The other way round (the scenario against its origin) is a plain comparison.
    back = viewer.get(f"/orgs/{moved.slug}/compare/acme/").content.decode()
    assert "scenario-changes" not in back
    assert viewer.get(f"/orgs/{moved.slug}/scenarios/acme/changes/").status_code == 404
    assert client_for(OrganisationFactory(slug="else"), "admin").get(url).status_code == 404


def test_each_change_says_which_findings_it_fixes_and_brings_in_the_demo(demo):
    scenario = scenario_create(origin=demo, name="Infra under ML")
    dana = Person.objects.get(organisation=scenario, name="Dana Kim")
    services.person_update(person=dana, manager=Person.objects.get(organisation=scenario,
                                                                   name="Amara Okafor"))
    text = client_for(demo, "viewer").get(
        f"/orgs/demo/scenarios/{scenario.slug}/changes/").content.decode()
    live_dana = Person.objects.get(organisation=demo, name="Dana Kim")
    item = text.split(f'data-change="person:{live_dana.pk}:manager"')[1].split("</li>\n")[0]
    assert 'data-fixes="dependency.outside_ml_org"' in item
    from tests.api_helpers import token_client
    body = token_client(demo, "read").get(
        f"/api/v1/orgs/demo/scenarios/{scenario.slug}/changes/").json()
    (change,) = body["results"]
    assert "dependency.outside_ml_org" in {f["code"] for f in change["fixes"]}


def test_findings_are_given_to_the_changes_about_their_objects():
    from orgdesign.analysis.changeset import DesignChange, findings_by_change
    from orgdesign.analysis.finding import Finding, Ref

    move = DesignChange("person:3:manager", "person", "3", "Dana Kim", "manager", "changed",
                        "2", "1", "")
    title = DesignChange("person:4:title", "person", "4", "Lee", "title", "changed", "a", "b",
                         "")
    fixed = Finding("team.no_kpi", Ref("team", 10, "ML Platform"), "m",
                    related=(Ref("person", 3, "Dana Kim"),))
    brought = Finding("person.no_manager", Ref("person", 33, "Priya Shah"), "m")
    # The scenario's person 33 is the origin's 2: Dana's old manager, whom the move names.
    effects = findings_by_change([move, title], [fixed], [brought],
                                 {"person": {33: "2", 31: "3"}})
    assert effects == {"person:3:manager": {"fixes": [fixed], "brings": [brought]}}
    # Given the design, a finding about the team Lee leads is Lee's change's too.
    rows = base_rows()
    rows.teams["10"]["lead"] = "4"
    team_finding = Finding("team.no_kpi", Ref("team", 10, "ML Platform"), "m")
    role = DesignChange("person:4:role", "person", "4", "Lee", "role", "changed", "a", "b", "")
    effects = findings_by_change([title, role], [team_finding], [], {}, rows)
    # A title is read by no rule: nothing is its; a role is, and Lee leads the team.
    assert effects == {"person:4:role": {"fixes": [team_finding], "brings": []}}


def test_a_comparison_is_kept_until_either_design_changes(origin):
    from orgdesign.analysis.kept import comparison_of
    from orgdesign.scenarios.base import live_rows

    scenario = scenario_create(origin=origin, name="Compared")
    first = comparison_of(origin, scenario, plan=False, money=False)
    assert comparison_of(origin, scenario, plan=False, money=False) is first
    assert comparison_of(origin, scenario, plan=True, money=False) is not first
    rows = live_rows(origin)
    assert live_rows(origin) is rows
    dana = Person.objects.get(organisation=scenario, name="Dana Kim")
    services.person_update(person=dana,
                           manager=Person.objects.get(organisation=scenario, name="Amara Okafor"))
    scenario.refresh_from_db()
    again = comparison_of(origin, scenario, plan=False, money=False)
    assert again is not first
    assert [change.name for change in again.people] == ["Dana Kim"]
    services.person_update(person=Person.objects.get(organisation=origin, name="Dana Kim"),
                           title="Head")
    origin.refresh_from_db()
    assert live_rows(origin) is not rows
    assert live_rows(origin).people[str(Person.objects.get(
        organisation=origin, name="Dana Kim").pk)]["title"] == "Head"
