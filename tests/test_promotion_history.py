"""What a promotion removes is in the history, and the history page restores it.

A promotion replaces the design of its origin with a copy of the scenario's. It used to
delete the origin's rows with raw deletes and record nothing of them, so restoring a team or
a pipeline it removed answered 500 (`HistoricalTeam.DoesNotExist`). Now it records a
deletion entry for every row it removes, in bulk (`orgdesign.scenarios.services._wipe_design`).
"""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgdesign.scenarios.services import scenario_create, scenario_promote
from pipelines import services as pipeline_services
from pipelines.generator import generate_org
from pipelines.models import Engagement, Pipeline
from teams import history as recording
from teams import services
from teams.models import Membership, Person, Team
from tests.factories import OrganisationFactory, UserFactory, client_for
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def promoted(org):
    """acme with Vision (Ada in it at 60%) owning the Serving pipeline, and Kept; promoted
    from a scenario in which Vision and Serving were deleted, through the browser."""
    ada = services.person_create(organisation=org, name="Ada")
    vision = services.team_create(organisation=org, name="Vision")
    services.team_create(organisation=org, name="Kept")
    services.membership_set(person=ada, team=vision, allocation=60)
    serving = pipeline_services.pipeline_create(organisation=org, name="Serving")
    pipeline_services.engagement_set(pipeline=serving, team=vision, role="owner")
    admin = client_for(org, "admin")
    scenario = scenario_create(origin=org, name="Leaner", creator=admin.user)
    pipeline_services.pipeline_delete(pipeline=scenario.pipelines.get(name="Serving"))
    services.team_delete(team=scenario.teams.get(name="Vision"))

    assert admin.post(f"/orgs/{scenario.slug}/promote/").status_code == 302
    run_worker()

    assert list(org.teams.values_list("name", flat=True)) == ["Kept"]  # it did promote
    return admin, ada.pk, vision.pk, serving.pk


def deletion(model, organisation, pk):
    return model.history.get(history_org=organisation.pk, id=pk,
                             history_type=recording.DELETED)


def restore_button(client, organisation, kind, entry) -> str:
    """The restore button of `entry` on the history page, as the page shows it."""
    url = f"/orgs/{organisation.slug}/history/{kind}/{entry.history_id}/restore/"
    assert url in html.unescape(
        client.get(f"/orgs/{organisation.slug}/history/?kind={kind}").content.decode())
    return url


def test_a_team_and_a_pipeline_a_promotion_removed_are_restored_from_the_history(
    org, promoted
):
    admin, ada, vision, serving = promoted
    team_entry, pipeline_entry = deletion(Team, org, vision), deletion(Pipeline, org, serving)
    assert team_entry.history_change_reason.startswith("Promoted Leaner (leaner)")
    assert team_entry.updated_via == "promotion"
    assert team_entry.history_user_id == admin.user.pk

    answer = admin.post(restore_button(admin, org, "team", team_entry), follow=True)

    assert answer.status_code == 200
    assert "Restored. Vision is back" in answer.content.decode()
    assert Team.objects.get(pk=vision).organisation == org
    # Ada was removed by the promotion too: her membership cannot come back with the team.
    assert not Membership.objects.filter(team_id=vision).exists()

    answer = admin.post(restore_button(admin, org, "pipeline", pipeline_entry), follow=True)

    assert "Restored. Serving is back, with 1 cell." in answer.content.decode()
    assert Pipeline.objects.get(pk=serving).organisation == org
    cell = Engagement.objects.get(pipeline_id=serving)
    assert (cell.team_id, cell.role) == (vision, "owner")


def test_a_person_a_promotion_removed_is_in_the_history_and_refused_without_an_error(
    org, promoted
):
    admin, ada, _, _ = promoted
    entry = deletion(Person, org, ada)
    assert entry.name == "Ada"
    membership = Membership.history.get(history_org=org.pk, person_id=ada,
                                        history_type=recording.DELETED)
    assert membership.allocation == 60

    answer = admin.post(restore_button(admin, org, "person", entry), follow=True)

    assert answer.status_code == 200
    assert "Not restored: Ada is no longer in this design" in answer.content.decode()


def test_a_promotion_records_every_row_it_removes_with_their_last_values(org):
    boss = services.person_create(organisation=org, name="Boss")
    ada = services.person_create(organisation=org, name="Ada", manager=boss)
    services.person_update(person=ada, dotted_line_managers=[boss])
    scenario = scenario_create(origin=org, name="Same")

    scenario_promote(scenario=scenario)

    entries = Person.history.filter(history_org=org.pk, history_type=recording.DELETED)
    assert {entry.id for entry in entries} == {boss.pk, ada.pk}
    assert not Person.objects.filter(pk__in=[boss.pk, ada.pk]).exists()
    removed = entries.get(id=ada.pk)
    assert removed.manager_id == boss.pk
    assert [line.to_person_id for line in
            removed.historicalperson_dotted_line_managers_set.all()] == [boss.pk]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite splits bulk statements by its limit of variables, so its counts follow size",
)
def test_recording_what_a_promotion_removes_takes_a_fixed_number_of_queries():
    counted = []
    for people in (400, 1200):
        origin = OrganisationFactory()
        generate_org(origin, people=people, teams=20, pipelines=20, seed=1)
        scenario = scenario_create(origin=origin, name="Same", creator=UserFactory())
        assert Person.objects.filter(organisation=scenario, manager__isnull=False).exists()
        with CaptureQueriesContext(connection) as queries:
            scenario_promote(scenario=scenario)
        # Nothing grows with the design: both copies (the backup, and the scenario in) write
        # their people, managers included, with one COPY.
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_a_team_an_earlier_promotion_removed_unrecorded_is_restored_too(org):
    """Promotions before this one removed rows with no entry: restoring such a team from
    an older entry of it brings it back alone rather than failing."""
    vision = services.team_create(organisation=org, name="Vision")
    added = vision.history.get(history_type=recording.ADDED)
    Team.objects.filter(pk=vision.pk)._raw_delete("default")  # as promotions did
    admin = client_for(org, "admin")

    answer = admin.post(restore_button(admin, org, "team", added), follow=True)

    assert "Restored. Vision is back, with 0 memberships." in answer.content.decode()
    assert Team.objects.filter(pk=vision.pk, organisation=org).exists()
