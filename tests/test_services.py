"""The write rules, through the service functions every door calls."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from pipelines import services as pipeline_services
from pipelines.models import Engagement
from teams import services
from teams.actor import Actor
from teams.models import Door, Membership, Person
from teams.sync import sync_people
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def test_it_refuses_a_manager_change_that_closes_a_cycle_and_names_the_chain(org):
    ada = services.person_create(organisation=org, name="Ada")
    bob = services.person_create(organisation=org, name="Bob", manager=ada)
    cy = services.person_create(organisation=org, name="Cy", manager=bob)

    with pytest.raises(ValidationError) as caught:
        services.person_update(person=ada, manager=cy)

    message = caught.value.message_dict["manager"][0]
    assert "Ada → Cy → Bob → Ada" in message
    ada.refresh_from_db()
    assert ada.manager_id is None


def test_many_managers_set_at_once_are_written_with_their_history(org):
    ada = services.person_create(organisation=org, name="Ada")
    bob = services.person_create(organisation=org, name="Bob", manager=ada)
    cy = services.person_create(organisation=org, name="Cy", manager=ada)
    dee = services.person_create(organisation=org, name="Dee", manager=cy)

    # Bob under Cy and Dee under Bob: a loop only if checked one move at a time against a
    # half-moved design it is not; together they are a plain chain Ada > Cy > Bob > Dee.
    services.managers_set(organisation=org, managers={bob.pk: cy.pk, dee.pk: bob.pk},
                          actor=Actor(via=Door.BROWSER))

    assert dict(Person.objects.filter(organisation=org).values_list("name", "manager__name")) \
        == {"Ada": None, "Bob": "Cy", "Cy": "Ada", "Dee": "Bob"}
    latest = bob.history.latest("history_date")
    assert (latest.manager_id, latest.updated_via) == (cy.pk, "browser")
    assert dee.history.count() == 2  # added, then moved


def test_many_managers_set_at_once_refuse_a_loop_by_name_and_write_nothing(org):
    ada = services.person_create(organisation=org, name="Ada")
    bob = services.person_create(organisation=org, name="Bob", manager=ada)
    cy = services.person_create(organisation=org, name="Cy", manager=bob)
    dee = services.person_create(organisation=org, name="Dee")

    with pytest.raises(ValidationError) as caught:
        services.managers_set(organisation=org, managers={ada.pk: cy.pk, dee.pk: ada.pk})

    message = caught.value.message_dict["manager"][0]
    assert "would go round in a loop" in message
    assert all(name in message for name in ("Ada", "Bob", "Cy")) and "Dee" not in message
    assert dict(Person.objects.filter(organisation=org).values_list("name", "manager__name")) \
        == {"Ada": None, "Bob": "Ada", "Cy": "Bob", "Dee": None}
    assert dee.history.count() == 1


def test_many_managers_set_at_once_refuse_someone_of_another_organisation(org):
    ada = services.person_create(organisation=org, name="Ada")
    stranger = PersonFactory()

    with pytest.raises(ValidationError) as caught:
        services.managers_set(organisation=org, managers={ada.pk: stranger.pk})

    assert f"No person {stranger.pk} in" in caught.value.message_dict["manager"][0]
    ada.refresh_from_db()
    assert ada.manager_id is None


def test_it_refuses_a_person_as_their_own_manager(org):
    ada = services.person_create(organisation=org, name="Ada")
    with pytest.raises(ValidationError) as caught:
        services.person_update(person=ada, manager=ada)
    assert "manager" in caught.value.message_dict


def test_it_accepts_a_manager_change_that_closes_no_cycle(org):
    ada = services.person_create(organisation=org, name="Ada")
    bob = services.person_create(organisation=org, name="Bob", manager=ada)
    cy = services.person_create(organisation=org, name="Cy", manager=ada)

    services.person_update(person=cy, manager=bob)

    cy.refresh_from_db()
    assert cy.manager_id == bob.id


def test_it_refuses_a_manager_from_another_organisation(org):
    stranger = PersonFactory()
    with pytest.raises(ValidationError) as caught:
        services.person_create(organisation=org, name="Ada", manager=stranger)
    assert "another organisation" in caught.value.message_dict["manager"][0]
    assert not Person.objects.filter(organisation=org).exists()


def test_it_refuses_dotted_line_managers_from_another_organisation(org):
    ada = services.person_create(organisation=org, name="Ada")
    with pytest.raises(ValidationError):
        services.person_update(person=ada, dotted_line_managers=[PersonFactory()])
    assert ada.dotted_line_managers.count() == 0


def test_it_keeps_external_ids_unique_within_an_organisation_only(org):
    services.person_create(organisation=org, name="Ada", external_id="E1")
    with pytest.raises(ValidationError):
        services.person_create(organisation=org, name="Bob", external_id="E1")
    other = services.person_create(organisation=OrganisationFactory(), name="Bob", external_id="E1")
    assert other.pk


def test_it_keeps_emails_unique_case_insensitively(org):
    services.person_create(organisation=org, name="Ada", email="ada@example.com")
    with pytest.raises(ValidationError):
        services.person_create(organisation=org, name="Ada 2", email="ADA@example.com")


def test_it_refuses_an_unknown_role(org):
    with pytest.raises(ValidationError) as caught:
        services.person_create(organisation=org, name="Ada", role="wizard")
    assert "role" in caught.value.message_dict


def test_a_person_who_leaves_is_deactivated_not_deleted(org):
    ada = services.person_create(organisation=org, name="Ada")
    services.person_deactivate(person=ada)
    ada.refresh_from_db()
    assert ada.active is False


@pytest.mark.parametrize("allocation", [0, 101, 150, -5])
def test_it_refuses_an_allocation_out_of_range(org, allocation):
    person = PersonFactory(organisation=org)
    team = TeamFactory(organisation=org)
    with pytest.raises(ValidationError) as caught:
        services.membership_set(person=person, team=team, allocation=allocation)
    assert "allocation" in caught.value.message_dict
    assert not Membership.objects.exists()


def test_it_sets_and_updates_a_membership(org):
    person = PersonFactory(organisation=org)
    team = TeamFactory(organisation=org)
    services.membership_set(person=person, team=team, allocation=60)
    services.membership_set(person=person, team=team, allocation=40)
    assert list(Membership.objects.values_list("allocation", flat=True)) == [40]


def test_it_refuses_a_membership_across_organisations(org):
    with pytest.raises(ValidationError):
        services.membership_set(person=PersonFactory(organisation=org), team=TeamFactory(),
                                allocation=50)


def test_the_database_refuses_an_allocation_out_of_range_too(org):
    person = PersonFactory(organisation=org)
    team = TeamFactory(organisation=org)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(person=person, team=team, allocation=150)


@pytest.mark.parametrize("name", ["pipeline", "PM_owner", "Data:Ops", "A;B"])
def test_it_refuses_team_names_that_break_the_csv_formats(org, name):
    with pytest.raises(ValidationError) as caught:
        services.team_create(organisation=org, name=name, kind="modeling")
    assert "name" in caught.value.message_dict


def test_it_refuses_a_team_lead_from_another_organisation(org):
    with pytest.raises(ValidationError):
        services.team_create(organisation=org, name="Models", lead=PersonFactory())


def test_it_refuses_an_ml_head_from_another_organisation(org):
    with pytest.raises(ValidationError):
        services.organisation_update(organisation=org, ml_head=PersonFactory())


def test_a_new_pipeline_requires_the_default_stages(org):
    pipeline = pipeline_services.pipeline_create(organisation=org, name="Feed")
    assert pipeline.required_stages == ["data", "infrastructure", "modeling", "deployment"]


def test_it_refuses_an_unknown_stage(org):
    with pytest.raises(ValidationError) as caught:
        pipeline_services.pipeline_create(organisation=org, name="Feed",
                                          required_stages=["data", "magic"])
    assert "required_stages" in caught.value.message_dict


def test_it_sets_changes_and_clears_an_engagement(org):
    pipeline = PipelineFactory(organisation=org)
    team = TeamFactory(organisation=org)
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role="owner")
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role="service")
    assert list(Engagement.objects.values_list("role", flat=True)) == ["service"]
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role=None)
    assert not Engagement.objects.exists()


def test_it_refuses_an_unknown_engagement_role_or_a_team_from_elsewhere(org):
    pipeline = PipelineFactory(organisation=org)
    with pytest.raises(ValidationError):
        pipeline_services.engagement_set(
            pipeline=pipeline, team=TeamFactory(organisation=org), role="boss"
        )
    with pytest.raises(ValidationError):
        pipeline_services.engagement_set(pipeline=pipeline, team=TeamFactory(), role="owner")
    assert not Engagement.objects.exists()


def test_the_database_allows_one_engagement_per_pair(org):
    pipeline = PipelineFactory(organisation=org)
    team = TeamFactory(organisation=org)
    Engagement.objects.create(pipeline=pipeline, team=team, role="owner")
    with pytest.raises(IntegrityError), transaction.atomic():
        Engagement.objects.create(pipeline=pipeline, team=team, role="service")


def test_a_stale_edit_is_refused_with_the_current_values(org):
    ada = services.person_create(organisation=org, name="Ada", title="Engineer")
    seen_by_first_editor = services.version_of(ada)
    services.person_update(
        person=Person.objects.get(pk=ada.pk), title="Staff engineer",
        expected_version=seen_by_first_editor,
    )

    with pytest.raises(services.ConflictError) as caught:
        services.person_update(
            person=Person.objects.get(pk=ada.pk), title="Manager",
            expected_version=seen_by_first_editor,
        )

    assert caught.value.current.title == "Staff engineer"
    assert Person.objects.get(pk=ada.pk).title == "Staff engineer"


def test_an_edit_of_the_current_version_is_saved(org):
    team = services.team_create(organisation=org, name="Models", kind="modeling")
    services.team_update(team=team, kpi="NDCG", expected_version=services.version_of(team))
    team.refresh_from_db()
    assert team.kpi == "NDCG"


def test_a_stale_pipeline_edit_is_refused(org):
    pipeline = pipeline_services.pipeline_create(organisation=org, name="Feed")
    stale = services.version_of(pipeline)
    pipeline_services.pipeline_update(pipeline=pipeline, tier="critical")
    with pytest.raises(services.ConflictError):
        pipeline_services.pipeline_update(pipeline=pipeline, tier="high", expected_version=stale)


def test_every_write_records_who_made_it_and_through_which_door(org):
    from teams.actor import Actor
    from teams.tokens import token_create
    from tests.factories import UserFactory

    user = UserFactory()
    token, _ = token_create(organisation=org, name="HRIS", scope="write")
    ada = services.person_create(organisation=org, name="Ada",
                                 actor=Actor(via="browser", user=user))
    assert (ada.updated_by, ada.updated_by_token, ada.updated_via) == (user, None, "browser")

    services.person_update(person=ada, title="Lead", actor=Actor(via="api", token=token))
    ada.refresh_from_db()
    assert (ada.updated_by, ada.updated_by_token, ada.updated_via) == (None, token, "api")

    team = services.team_create(organisation=org, name="Models", kind="modeling")
    membership = services.membership_set(person=ada, team=team, allocation=50,
                                         actor=Actor(via="scim", token=token))
    assert (membership.updated_by_token, membership.updated_via) == (token, "scim")
    pipeline = pipeline_services.pipeline_create(organisation=org, name="Feed")
    engagement = pipeline_services.engagement_set(pipeline=pipeline, team=team, role="owner",
                                                  actor=Actor(via="import", user=user))
    assert (engagement.updated_by, engagement.updated_via) == (user, "import")


def test_a_browser_edit_is_attributed_to_the_login(org):
    from django.test import Client

    from tests.factories import AccessFactory, UserFactory

    user = UserFactory()
    AccessFactory(organisation=org, user=user, role="editor")
    client = Client()
    client.force_login(user)
    pipeline = pipeline_services.pipeline_create(organisation=org, name="Feed")
    team = TeamFactory(organisation=org)
    client.post(f"/orgs/{org.slug}/cells/{pipeline.pk}/{team.pk}/", {"role": "owner",
                                                                      "expected": ""})
    engagement = Engagement.objects.get(pipeline=pipeline, team=team)
    assert (engagement.updated_by, engagement.updated_via) == (user, "browser")


def test_a_cell_write_with_the_role_the_editor_saw_is_made_and_with_another_refused(org):
    pipeline, team = PipelineFactory(organisation=org), TeamFactory(organisation=org)
    cell = pipeline_services.engagement_set(pipeline=pipeline, team=team, role="owner",
                                            expected="")
    assert cell.role == "owner"
    with pytest.raises(pipeline_services.CellChanged) as refused:
        pipeline_services.engagement_set(pipeline=pipeline, team=team, role=None, expected="")
    assert refused.value.current == "owner"
    assert "changed by someone else to owner" in refused.value.messages[0]
    assert Engagement.objects.get(pipeline=pipeline, team=team).role == "owner"
    pipeline_services.engagement_set(pipeline=pipeline, team=team, role=None, expected="owner")
    assert not Engagement.objects.filter(pipeline=pipeline, team=team).exists()


def test_many_cells_set_at_once_are_written_with_their_history(org):
    feed, ads = PipelineFactory(organisation=org), PipelineFactory(organisation=org)
    models_team, data_team = TeamFactory(organisation=org), TeamFactory(organisation=org)
    kept = pipeline_services.engagement_set(pipeline=feed, team=models_team, role="owner",
                                            effort=40)
    cleared = pipeline_services.engagement_set(pipeline=ads, team=models_team, role="service")
    same = pipeline_services.engagement_set(pipeline=ads, team=data_team, role="owner")
    entries = Engagement.history.count()

    pipeline_services.engagements_set(organisation=org, cells={
        (feed.pk, models_team.pk): "contributor",  # changed, its effort kept
        (ads.pk, models_team.pk): None,  # cleared
        (ads.pk, data_team.pk): "owner",  # already so: left as it is
        (feed.pk, data_team.pk): "owner",  # new
    }, actor=Actor(via=Door.API))

    cells = {(e.pipeline_id, e.team_id): (e.role, e.effort) for e in Engagement.objects.all()}
    assert cells == {(feed.pk, models_team.pk): ("contributor", 40),
                     (ads.pk, data_team.pk): ("owner", None),
                     (feed.pk, data_team.pk): ("owner", None)}
    # One entry per cell written: changed, cleared, made; none for the one left alone.
    assert Engagement.history.count() == entries + 3
    assert kept.history.latest("history_date").role == "contributor"
    assert cleared.history.latest("history_date").history_type == "-"
    assert same.history.count() == 1
    made = Engagement.objects.get(pipeline=feed, team=data_team)
    assert made.history.get().updated_via == "api"


@pytest.mark.parametrize("bad", ["unknown role", "team of another organisation"])
def test_many_cells_set_at_once_write_nothing_when_one_is_refused(org, bad):
    feed = PipelineFactory(organisation=org)
    team = TeamFactory(organisation=org)
    if bad == "unknown role":
        last = (feed.pk, TeamFactory(organisation=org).pk), "wizard"
    else:
        last = (feed.pk, TeamFactory(organisation=OrganisationFactory()).pk), "owner"
    cells = {(feed.pk, team.pk): "owner", last[0]: last[1]}
    with pytest.raises(ValidationError):
        pipeline_services.engagements_set(organisation=org, cells=cells)
    assert not Engagement.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("role", "wizard", "Unknown role 'wizard'"),
    ("worker_type", "intern", "Unknown worker type 'intern'"),
    ("level", "L" * 21, "At most 20 characters."),
    ("email", "not-an-email", "'not-an-email' is not an email address."),
])
def test_a_person_field_is_refused_with_the_same_words_by_the_services_and_the_sync(
    org, field, value, message
):
    """One check of a person's fields (`services.person_values`) for every door: a form, the
    API and SCIM through `person_create`/`person_update`, an HR batch through the sync."""
    with pytest.raises(ValidationError) as refused:
        services.person_create(organisation=org, name="Ada", **{field: value})
    assert any(m.startswith(message) for m in refused.value.message_dict[field])
    person = PersonFactory(organisation=org)
    with pytest.raises(ValidationError) as refused:
        services.person_update(person=person, **{field: value})
    assert any(m.startswith(message) for m in refused.value.message_dict[field])
    result = sync_people(organisation=org, records=[
        {"external_id": "E1", "name": "Ada", field: value}], mode="delta", dry_run=True)
    assert any(m.startswith(message) for m in result.errors[0]["errors"][field])
