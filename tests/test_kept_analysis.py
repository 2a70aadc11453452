"""The analysis of a design is kept in the web process under the design's version
(`orgdesign.analysis.kept`, `teams.design_version`): reused while nothing changes, never shown
after a write changed the design, and, after a cell of the matrix changes, brought up to date
by running again only the rules that read cells."""

import random

import pytest
from django.db import transaction

from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.kept import after_cell_write, analysis_of, forget_all, kept
from orgdesign.analysis.loader import load_org_data
from orgdesign.analysis.structure import classify_structure
from pipelines import services as pipeline_services
from pipelines.generator import generate_org
from pipelines.models import Pipeline
from teams import services
from teams.models import Organisation, Person, Team, TeamKind
from tests.api_helpers import api_url, token_client
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)

pytestmark = pytest.mark.django_db


def whole_analysis(organisation: Organisation) -> list[dict]:
    """What a whole analysis of the design as stored finds, without anything kept."""
    data = load_org_data(Organisation.objects.get(pk=organisation.pk))
    return [finding.as_dict() for finding in compute_findings(data)]


def shown(analysis) -> list[dict]:
    return [finding.as_dict() for finding in analysis.findings]


def version_of(organisation: Organisation) -> int:
    return Organisation.objects.values_list("design_version", flat=True).get(pk=organisation.pk)


@pytest.fixture
def generated():
    organisation = OrganisationFactory()
    generate_org(organisation, people=600, teams=30, pipelines=60, seed=3)
    return Organisation.objects.get(pk=organisation.pk)


# The version -------------------------------------------------------------------------------


def test_every_write_changes_the_version_and_a_read_does_not(generated):
    versions = [version_of(generated)]
    client = client_for(generated, "viewer")
    assert client.get(f"/orgs/{generated.slug}/").status_code == 200
    assert client.get(f"/orgs/{generated.slug}/findings/").status_code == 200
    assert version_of(generated) == versions[-1]

    person = Person.objects.filter(organisation=generated).first()
    team = Team.objects.filter(organisation=generated).first()
    pipeline = Pipeline.objects.filter(organisation=generated).first()
    for write in (
        lambda: services.person_update(person=person, title="Changed"),
        lambda: services.team_update(team=team, kpi="Changed"),
        lambda: pipeline_services.engagement_set(pipeline=pipeline, team=team, role="owner"),
        lambda: pipeline_services.engagement_set(pipeline=pipeline, team=team, role=None),
        lambda: services.organisation_update(organisation=generated, span_max=3),
    ):
        write()
        versions.append(version_of(generated))
        assert versions[-1] != versions[-2]
    assert len(set(versions)) == len(versions)


def test_saving_the_organisation_never_puts_an_older_version_back(generated):
    stale = Organisation.objects.get(pk=generated.pk)
    services.person_update(person=Person.objects.filter(organisation=generated).first(),
                           title="Changed")
    written = version_of(generated)
    stale.name = "Renamed"
    stale.save()
    # The save is a write of its own (its history): a new version, never the one it read.
    assert version_of(generated) not in (stale.design_version, written)


def test_bulk_doors_change_the_version(generated):
    before = version_of(generated)
    client = token_client(generated, "write")
    answer = client.post(api_url(generated, "people/sync/"), {"mode": "delta", "people": [
        {"external_id": "NEW-1", "name": "Newcomer"},
    ]})
    assert answer.status_code == 200, answer.content
    assert version_of(generated) != before


# Kept, reused, never stale -------------------------------------------------------------------


def test_a_second_read_of_the_same_version_reuses_the_analysis(generated):
    first = analysis_of(Organisation.objects.get(pk=generated.pk))
    again = analysis_of(Organisation.objects.get(pk=generated.pk))
    assert again is first
    assert shown(first) == whole_analysis(generated)


def test_the_matrix_page_reads_the_design_once_per_version(generated, django_assert_num_queries):
    client = client_for(generated, "viewer")
    url = f"/orgs/{generated.slug}/"
    client.get(url)  # the session, the user: what every page reads
    forget_all()
    # (the design's tables and the software catalog the generator plants)
    with django_assert_num_queries(11) as first:
        assert client.get(url).status_code == 200
    with django_assert_num_queries(3) as again:
        assert client.get(url).status_code == 200
    tables = ('FROM "teams_membership"', 'FROM "pipelines_pipeline"',
              'FROM "pipelines_engagement"')
    assert all(any(table in query["sql"] for query in first.captured_queries) for table in tables)
    assert not any(table in query["sql"] for query in again.captured_queries for table in tables)


def test_a_write_in_another_transaction_shows_on_the_next_read(generated):
    client = client_for(generated, "viewer")
    url = f"/orgs/{generated.slug}/findings/?code=team.empty"
    assert "Brand new team" not in client.get(url).content.decode()
    services.team_create(organisation=generated, name="Brand new team", kind="modeling")
    assert "Brand new team" in client.get(url).content.decode()


def test_a_page_that_writes_shows_what_it_wrote(generated):
    """The organisation a view read before its own write is read again before analysing."""
    organisation = Organisation.objects.get(pk=generated.pk)
    before = analysis_of(organisation)
    services.team_create(organisation=generated, name="Written here", kind="modeling")
    after = analysis_of(organisation)
    assert after is not before
    assert any(f["subject"]["name"] == "Written here" for f in shown(after))
    assert shown(after) == whole_analysis(generated)


def test_an_analysis_made_inside_a_rolled_back_write_is_never_shown(generated):
    organisation = Organisation.objects.get(pk=generated.pk)
    analysis_of(organisation)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.team_create(organisation=generated, name="Rolled back", kind="modeling")
        inside = analysis_of(organisation)
        assert any(f["subject"]["name"] == "Rolled back" for f in shown(inside))
        raise RuntimeError
    outside = analysis_of(Organisation.objects.get(pk=generated.pk))
    assert not any(f["subject"]["name"] == "Rolled back" for f in shown(outside))
    assert shown(outside) == whole_analysis(generated)


def test_the_kept_analyses_stay_within_their_budget(settings):
    settings.ORGDESIGN_KEPT_PEOPLE = 10
    designs = []
    for _ in range(3):
        organisation = OrganisationFactory()
        for _ in range(4):
            PersonFactory(organisation=organisation)
        designs.append(Organisation.objects.get(pk=organisation.pk))
        analysis_of(designs[-1])
    # 4 people each: the newest two fit in 10, the oldest went first.
    assert kept(designs[0].pk, designs[0].design_version) is None
    assert kept(designs[1].pk, version_of(designs[1])) is not None
    assert kept(designs[2].pk, version_of(designs[2])) is not None


# A cell edit ---------------------------------------------------------------------------------


def test_cell_edits_find_what_a_whole_analysis_finds(generated):
    """Forty random cells set and cleared, each answered from the design kept before it,
    equal each time to a whole analysis of the stored design."""
    rng = random.Random(5)
    teams = list(Team.objects.filter(organisation=generated))
    pipelines = list(Pipeline.objects.filter(organisation=generated))
    before = analysis_of(Organisation.objects.get(pk=generated.pk))
    for _ in range(40):
        pipeline, team = rng.choice(pipelines), rng.choice(teams)
        role = rng.choice(["", "owner", "owner", "contributor", "service"])
        organisation = Organisation.objects.get(pk=generated.pk)
        after = after_cell_write(organisation, lambda p=pipeline, t=team, r=role: (
            pipeline_services.engagement_set(pipeline=p, team=t, role=r or None)))
        # Reused, not derived again: the people's facts are the ones kept before the edit.
        assert after.index.root_of is before.index.root_of
        assert shown(after) == whole_analysis(generated)
        assert after.structure == classify_structure(load_org_data(organisation))
        assert after.version == version_of(generated)
        before = after


def test_a_cell_edit_moves_the_findings_that_read_cells():
    """Engaging a product squad whose lead has no manager strands it (person.no_manager);
    engaging a specialised team from outside the ML org makes a dependency; clearing the
    only owner leaves a stage unowned. Each answered from the kept design."""
    organisation = OrganisationFactory()
    ceo = PersonFactory(organisation=organisation, name="Ceo", role="executive")
    head = PersonFactory(organisation=organisation, name="Head", role="executive", manager=ceo)
    services.organisation_update(organisation=organisation, ml_head=head)
    loose = PersonFactory(organisation=organisation, name="Loose lead")
    outsider = PersonFactory(organisation=organisation, name="Outside lead", manager=ceo)
    squad = TeamFactory(organisation=organisation, name="Squad", kind=TeamKind.PRODUCT_SQUAD,
                        lead=loose)
    labels = TeamFactory(organisation=organisation, name="Labels", kind="data_ops",
                         lead=outsider)
    MembershipFactory(person=loose, team=squad)
    MembershipFactory(person=outsider, team=labels)
    pipeline = PipelineFactory(organisation=organisation, name="Ranker", pm_owner=head,
                               required_stages=["data"])
    EngagementFactory(pipeline=pipeline, team=labels)
    organisation = Organisation.objects.get(pk=organisation.pk)
    analysis_of(organisation)

    def edit(team, role):
        return {
            (f["code"], f["subject"]["name"]): f["message"]
            for f in shown(after_cell_write(Organisation.objects.get(pk=organisation.pk),
                                            lambda: pipeline_services.engagement_set(
                                                pipeline=pipeline, team=team, role=role)))
        }

    found = edit(squad, "contributor")
    assert "Squad" in found[("person.no_manager", "Loose lead")]
    assert ("dependency.outside_ml_org", "Labels") in found
    found = edit(labels, None)
    assert ("dependency.outside_ml_org", "Labels") not in found
    assert ("pipeline.stage_unowned", "Ranker") in found
    found = edit(squad, None)
    assert ("person.no_manager", "Loose lead") not in found or \
        "Squad" not in found[("person.no_manager", "Loose lead")]
    assert shown(analysis_of(Organisation.objects.get(pk=organisation.pk))) == \
        whole_analysis(organisation)


def test_the_matrix_cell_answer_shows_the_new_findings_from_the_kept_design(generated):
    client = client_for(generated, "editor")
    client.get(f"/orgs/{generated.slug}/")  # keeps the design
    kept_before = kept(generated.pk, version_of(generated))
    assert kept_before is not None
    engaged = generated.pipelines.first().engagements.filter(role="owner").first()
    answer = client.post(
        f"/orgs/{generated.slug}/cells/{engaged.pipeline_id}/{engaged.team_id}/",
        {"role": "", "expected": "owner"}, HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    after = kept(generated.pk, version_of(generated))
    assert after is not None and after is not kept_before
    assert after.index.root_of is kept_before.index.root_of
    counts = answer.context["counts"]
    expected = {"error": 0, "warning": 0, "info": 0}
    for finding in whole_analysis(generated):
        expected[finding["severity"]] += 1
    assert counts == expected
