"""Merging a scenario (issue 30, points 2 and 3): live changes made after the copy kept,
conflicts refused until resolved, a subset, approvals (required by the setting, only
admins', withdrawn when the scenario changes), the history entry, and the undo."""

import pytest
from django.core.exceptions import ValidationError

from orgdesign.access.policy import may_review
from orgdesign.scenarios.base import changes_of
from orgdesign.scenarios.merge import merge_plan, scenario_merge
from orgdesign.scenarios.review import needs_approval, review_add, review_state
from orgdesign.scenarios.services import scenario_create
from orgdesign.scenarios.undo import undo_create
from pipelines.models import Engagement, Pipeline
from teams import services
from teams.actor import Actor
from teams.models import Door, MergeApproval, Organisation, Person, ScenarioMerge, Team
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
ACTOR = Actor(via=Door.BROWSER)


@pytest.fixture
def origin():
    org = OrganisationFactory(slug="acme", merge_approval=MergeApproval.NEVER)
    head = PersonFactory(organisation=org, name="Amara Okafor")
    lead = PersonFactory(organisation=org, name="Priya Shah", manager=head)
    PersonFactory(organisation=org, name="Dana Kim", manager=lead, title="ML engineer")
    team = TeamFactory(organisation=org, name="ML Platform", lead=lead)
    MembershipFactory(team=team, person=lead, allocation=100)
    pipeline = PipelineFactory(organisation=org, name="Churn")
    EngagementFactory(pipeline=pipeline, team=team, role="owner")
    return org


def one(org, name):
    return Person.objects.get(organisation=org, name=name)


def test_a_merge_applies_the_scenarios_changes_and_keeps_the_live_ones(origin):
    scenario = scenario_create(origin=origin, name="Flatter")
    services.person_update(person=one(scenario, "Dana Kim"),
                           manager=one(scenario, "Amara Okafor"))
    hire = services.person_create(organisation=scenario, name="Mei Chen",
                                  manager=one(scenario, "Dana Kim"))
    services.membership_set(person=hire, team=Team.objects.get(organisation=scenario),
                            allocation=100)
    # Meanwhile, live: a title changed and someone joined.
    services.person_update(person=one(origin, "Priya Shah"), title="Director")
    services.person_create(organisation=origin, name="Lee Park")
    result = scenario_merge(scenario=scenario, actor=ACTOR)
    assert result["changes"] == 3
    assert one(origin, "Dana Kim").manager.name == "Amara Okafor"
    assert one(origin, "Mei Chen").manager.name == "Dana Kim"
    assert one(origin, "Mei Chen").memberships.get().team.name == "ML Platform"
    assert one(origin, "Priya Shah").title == "Director"  # kept
    assert one(origin, "Lee Park").active  # kept
    assert one(origin, "Dana Kim").updated_via == Door.BROWSER
    entry = Organisation.history.filter(id=origin.pk).order_by("-history_date").first()
    assert f"of the scenario Flatter ({scenario.slug})" in entry.history_change_reason
    assert review_state(scenario).state == "merged"


def test_a_conflict_is_refused_until_resolved_and_nothing_is_written(origin):
    scenario = scenario_create(origin=origin, name="Flatter")
    services.person_update(person=one(scenario, "Dana Kim"),
                           manager=one(scenario, "Amara Okafor"), title="Staff engineer")
    services.person_update(person=one(origin, "Dana Kim"), manager=None)
    conflicts = merge_plan(scenario).plan.conflicts
    key = f"person:{one(origin, 'Dana Kim').pk}:manager"
    assert list(conflicts) == [key]
    with pytest.raises(ValidationError) as refused:
        scenario_merge(scenario=scenario, actor=ACTOR)
    assert list(refused.value.message_dict) == ["conflicts"]
    assert key in str(refused.value)
    assert one(origin, "Dana Kim").title == "ML engineer"  # nothing written
    scenario_merge(scenario=scenario, resolutions={key: "live"}, actor=ACTOR)
    dana = one(origin, "Dana Kim")
    assert dana.manager is None and dana.title == "Staff engineer"


def test_a_subset_merges_only_the_chosen_changes(origin):
    scenario = scenario_create(origin=origin, name="Flatter")
    services.person_update(person=one(scenario, "Dana Kim"), title="Staff engineer",
                           manager=one(scenario, "Amara Okafor"))
    dana = one(origin, "Dana Kim")
    scenario_merge(scenario=scenario, keys=[f"person:{dana.pk}:title"], actor=ACTOR)
    dana.refresh_from_db()
    assert dana.title == "Staff engineer" and dana.manager.name == "Priya Shah"


def test_the_undo_merges_back_after_later_live_changes(origin):
    scenario = scenario_create(origin=origin, name="Flatter")
    services.person_update(person=one(scenario, "Dana Kim"),
                           manager=one(scenario, "Amara Okafor"))
    cell = Engagement.objects.get(pipeline__organisation=scenario)
    from pipelines import services as pipeline_services
    pipeline_services.engagement_set(pipeline=cell.pipeline, team=cell.team, role=None)
    result = scenario_merge(scenario=scenario, actor=ACTOR)
    assert not Engagement.objects.filter(pipeline__organisation=origin).exists()
    services.person_update(person=one(origin, "Priya Shah"), title="Director")  # later
    # The undo is made when asked for, against the design as it is then.
    undo = undo_create(merge=ScenarioMerge.objects.get(pk=result["merge"]), actor=ACTOR)
    assert undo.scenario_of == origin and undo.name == "Undo Flatter"
    assert {c.words for c in changes_of(undo)} == {
        "Dana Kim: manager Amara Okafor → Priya Shah",
        "Churn × ML Platform: engaged as owner",
    }
    services.person_create(organisation=origin, name="Lee Park", title="Analyst")  # later
    scenario_merge(scenario=undo, actor=ACTOR)
    assert one(origin, "Dana Kim").manager.name == "Priya Shah"
    assert Engagement.objects.get(pipeline__organisation=origin).role == "owner"
    assert one(origin, "Priya Shah").title == "Director"
    assert one(origin, "Lee Park").title == "Analyst"


def test_an_undo_takes_back_what_the_merge_added_and_brings_back_what_it_removed(origin):
    scenario = scenario_create(origin=origin, name="Regroup")
    hire = services.person_create(organisation=scenario, name="Mei Chen",
                                  manager=one(scenario, "Dana Kim"))
    team = services.team_create(organisation=scenario, name="Ranking")
    services.membership_set(person=hire, team=team, allocation=100)
    from pipelines import services as pipeline_services
    pipeline_services.pipeline_delete(pipeline=Pipeline.objects.get(organisation=scenario))
    result = scenario_merge(scenario=scenario, actor=ACTOR)
    assert not Pipeline.objects.filter(organisation=origin).exists()
    undo = undo_create(merge=ScenarioMerge.objects.get(pk=result["merge"]), actor=ACTOR)
    scenario_merge(scenario=undo, actor=ACTOR)
    # The hire is deactivated (a person is never deleted), the team the merge made is gone,
    # the pipeline it removed is back with its cell.
    assert not one(origin, "Mei Chen").active
    assert not Team.objects.filter(organisation=origin, name="Ranking").exists()
    churn = Pipeline.objects.get(organisation=origin)
    assert churn.name == "Churn"
    assert Engagement.objects.get(pipeline=churn).team.name == "ML Platform"


def test_an_undo_conflicts_where_the_live_design_changed_the_same_field_since(origin):
    scenario = scenario_create(origin=origin, name="Retitle")
    services.person_update(person=one(scenario, "Dana Kim"), title="Staff engineer")
    result = scenario_merge(scenario=scenario, actor=ACTOR)
    services.person_update(person=one(origin, "Dana Kim"), title="Principal engineer")
    undo = undo_create(merge=ScenarioMerge.objects.get(pk=result["merge"]), actor=ACTOR)
    key = f"person:{one(origin, 'Dana Kim').pk}:title"
    conflict = merge_plan(undo).plan.conflicts[key]
    assert (conflict.live, conflict.scenario) == ("Principal engineer", "ML engineer")
    with pytest.raises(ValidationError):
        scenario_merge(scenario=undo, actor=ACTOR)
    scenario_merge(scenario=undo, resolutions={key: "scenario"}, actor=ACTOR)
    assert one(origin, "Dana Kim").title == "ML engineer"


def test_a_merge_keeps_only_the_objects_it_wrote(origin, django_assert_max_num_queries):
    scenario = scenario_create(origin=origin, name="Retitle")
    services.person_update(person=one(scenario, "Dana Kim"), title="Staff engineer")
    result = scenario_merge(scenario=scenario, actor=ACTOR)
    kept = ScenarioMerge.objects.get(pk=result["merge"])
    dana = str(one(origin, "Dana Kim").pk)
    assert kept.before == {"people": {dana: {**kept.after["people"][dana],
                                             "title": "ML engineer"}}}
    assert kept.after["people"][dana]["title"] == "Staff engineer"
    assert kept.organisation == origin and kept.scenario == scenario and kept.changes == 1
    assert f"undo it as merge {kept.pk}" in kept.reason


def test_a_merge_that_would_close_a_loop_is_refused_whole(origin):
    services.person_create(organisation=origin, name="Lee Park")
    scenario = scenario_create(origin=origin, name="Loop")
    services.person_update(person=one(scenario, "Lee Park"),
                           manager=one(scenario, "Amara Okafor"))
    services.person_update(person=one(scenario, "Dana Kim"), title="Staff engineer")
    # Live, Amara now reports to Lee: with the scenario's move, a loop neither side has.
    services.person_update(person=one(origin, "Amara Okafor"), manager=one(origin, "Lee Park"))
    with pytest.raises(ValidationError, match="loop"):
        scenario_merge(scenario=scenario, actor=ACTOR)
    assert one(origin, "Lee Park").manager is None
    assert one(origin, "Dana Kim").title == "ML engineer"
    assert not ScenarioMerge.objects.exists()


class TestApproval:
    def test_by_default_needed_only_with_more_than_one_admin(self, origin):
        from tests.factories import AccessFactory
        origin.merge_approval = MergeApproval.AUTO
        AccessFactory(organisation=origin, role="admin")
        assert not needs_approval(origin)
        AccessFactory(organisation=origin, role="admin")
        assert needs_approval(origin)

    def test_a_merge_waits_for_an_approval_which_a_change_withdraws(self, origin):
        origin.merge_approval = MergeApproval.ALWAYS
        origin.save()
        scenario = scenario_create(origin=origin, name="Flatter")
        services.person_update(person=one(scenario, "Dana Kim"), title="Staff engineer")
        editor, admin = UserFactory(username="ed"), UserFactory(username="ada")
        review_add(scenario=scenario, action="propose", user=editor)
        with pytest.raises(ValidationError, match="approval"):
            scenario_merge(scenario=scenario, actor=ACTOR)
        review_add(scenario=scenario, action="approve", user=admin)
        assert review_state(scenario).as_dict() == {
            "state": "approved", "needs_approval": True, "approved_by": ["ada"],
            "withdrawn": [], "may_merge": True}
        services.person_update(person=one(scenario, "Dana Kim"), title="Principal")
        state = review_state(scenario)
        assert (state.state, state.withdrawn, state.may_merge) == ("proposed", ["ada"], False)
        with pytest.raises(ValidationError, match="withdrawn"):
            scenario_merge(scenario=scenario, actor=ACTOR)
        review_add(scenario=scenario, action="approve", user=admin)
        result = scenario_merge(scenario=scenario, actor=ACTOR)
        assert result["approved_by"] == ["ada"]
        entry = Organisation.history.filter(id=origin.pk).order_by("-history_date").first()
        assert "approved by ada" in entry.history_change_reason

    def test_asking_for_changes_clears_the_approvals(self, origin):
        scenario = scenario_create(origin=origin, name="Flatter")
        admin = UserFactory(username="ada")
        review_add(scenario=scenario, action="approve", user=admin)
        review_add(scenario=scenario, action="request_changes", text="Not Dana.", user=admin)
        assert review_state(scenario).state == "changes_requested"

    def test_who_may_take_each_step(self):
        assert may_review("viewer", "comment") and not may_review("viewer", "propose")
        assert may_review("editor", "propose") and not may_review("editor", "approve")
        assert may_review("admin", "approve") and may_review("admin", "merge")
        assert not may_review("editor", "merge") and not may_review(None, "comment")

    def test_a_comment_needs_text_and_names_a_real_change(self, origin):
        scenario = scenario_create(origin=origin, name="Flatter")
        with pytest.raises(ValidationError, match="required"):
            review_add(scenario=scenario, action="comment")
        with pytest.raises(ValidationError, match="no change"):
            review_add(scenario=scenario, action="comment", text="?", change="person:1:name")
        services.person_update(person=one(scenario, "Dana Kim"), title="Staff engineer")
        key = changes_of(scenario)[0].key
        step = review_add(scenario=scenario, action="comment", text="Why?", change=key)
        assert step.change == key


class TestRebase:
    def test_a_rebase_takes_in_the_live_changes_and_keeps_the_scenarios(self, origin):
        from orgdesign.scenarios.merge import scenario_rebase

        scenario = scenario_create(origin=origin, name="Flatter")
        services.person_update(person=one(scenario, "Dana Kim"),
                               manager=one(scenario, "Amara Okafor"))
        services.person_update(person=one(origin, "Priya Shah"), title="Director")
        lee = services.person_create(organisation=origin, name="Lee Park",
                                     manager=one(origin, "Priya Shah"))
        services.membership_set(person=lee, team=Team.objects.get(organisation=origin),
                                allocation=50)
        result = scenario_rebase(scenario=scenario, actor=ACTOR)
        assert result["taken"] == 3
        assert one(scenario, "Priya Shah").title == "Director"
        assert one(scenario, "Lee Park").manager.name == "Priya Shah"
        assert one(scenario, "Lee Park").memberships.get().allocation == 50
        assert one(scenario, "Dana Kim").manager.name == "Amara Okafor"  # its own, kept
        # Its changes are its own again: the live ones are in its base now.
        assert [c.words for c in changes_of(scenario)] == [
            "Dana Kim: manager Priya Shah → Amara Okafor"]
        # A later live change to the person the rebase brought is no conflict.
        services.person_update(person=one(origin, "Lee Park"), title="Engineer")
        merge = merge_plan(scenario)
        assert not merge.plan.conflicts
        scenario_merge(scenario=scenario, actor=ACTOR)
        assert one(origin, "Dana Kim").manager.name == "Amara Okafor"
        assert one(origin, "Lee Park").title == "Engineer"

    def test_a_conflict_stops_a_rebase_until_resolved(self, origin):
        from orgdesign.scenarios.merge import rebase_plan, scenario_rebase

        scenario = scenario_create(origin=origin, name="Flatter")
        services.person_update(person=one(scenario, "Dana Kim"), title="Staff engineer")
        services.person_update(person=one(origin, "Dana Kim"), title="Senior engineer")
        key = f"person:{one(origin, 'Dana Kim').pk}:title"
        assert list(rebase_plan(scenario).conflicts) == [key]
        with pytest.raises(ValidationError) as refused:
            scenario_rebase(scenario=scenario, actor=ACTOR)
        assert list(refused.value.message_dict) == ["conflicts"]
        assert one(scenario, "Dana Kim").title == "Staff engineer"
        scenario_rebase(scenario=scenario, resolutions={key: "live"}, actor=ACTOR)
        assert one(scenario, "Dana Kim").title == "Senior engineer"
        assert changes_of(scenario) == []


def test_a_promotion_leaves_the_other_scenarios_without_a_base(origin):
    from orgdesign.scenarios.merge import NoBase
    from orgdesign.scenarios.services import scenario_promote

    other = scenario_create(origin=origin, name="Other")
    promoted = scenario_create(origin=origin, name="Promoted")
    scenario_promote(scenario=promoted)
    assert changes_of(other) is None
    with pytest.raises(NoBase):
        scenario_merge(scenario=other, actor=ACTOR)


def test_retitling_many_people_is_written_in_bulk_and_recorded(origin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(8):
        PersonFactory(organisation=origin, name=f"Engineer {n}")
    counts = []
    for size in (2, 8):
        scenario = scenario_create(origin=origin, name=f"Retitle {size}")
        for n in range(size):
            services.person_update(person=one(scenario, f"Engineer {n}"), title=f"T{size}")
        with CaptureQueriesContext(connection) as queries:
            scenario_merge(scenario=scenario, actor=ACTOR)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    engineer = one(origin, "Engineer 7")
    assert engineer.title == "T8" and engineer.updated_via == Door.BROWSER
    entry = engineer.history.order_by("-history_date").first()
    assert (entry.history_type, entry.title) == ("~", "T8")
