"""generate_org (docs/design.md section 4): a large synthetic organisation for benchmarks."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from orgdesign.analysis.catalogue import CATALOGUE
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.loader import load_org_data
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.reporting import steps_below
from pipelines.generator import generate_org
from pipelines.models import Engagement, Pipeline
from teams.models import Membership, Organisation, OrganisationAccess, Person, Role, Team
from teams.services import organisation_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The smallest sizes at which the ML org (at least 40 people) is 5% of the company.
SMALL = {"people": 800, "teams": 30, "pipelines": 40}


def generated(slug: str = "synthetic", seed: int = 7) -> Organisation:
    organisation = organisation_create(slug=slug, name=slug.title())
    generate_org(organisation, **SMALL, seed=seed)
    organisation.refresh_from_db()
    return organisation


def snapshot(organisation: Organisation) -> dict[str, list]:
    """Everything the generator decides, by names and external ids rather than by row ids."""
    return {
        "ml_head": organisation.ml_head.external_id,
        "people": list(
            Person.objects.filter(organisation=organisation)
            .order_by("external_id")
            .values_list(
                "external_id", "name", "email", "title", "role", "manager__external_id", "active"
            )
        ),
        "teams": list(
            Team.objects.filter(organisation=organisation)
            .order_by("name")
            .values_list("name", "kind", "lead__external_id", "kpi", "kpi_type")
        ),
        "memberships": sorted(
            Membership.objects.filter(team__organisation=organisation).values_list(
                "person__external_id", "team__name", "allocation"
            )
        ),
        "pipelines": list(
            Pipeline.objects.filter(organisation=organisation)
            .order_by("name")
            .values_list(
                "name", "pm_owner__external_id", "lifecycle", "tier", "metric", "required_stages"
            )
        ),
        "engagements": sorted(
            Engagement.objects.filter(pipeline__organisation=organisation).values_list(
                "pipeline__name", "team__name", "role"
            )
        ),
    }


def test_it_builds_the_sizes_asked_for():
    organisation = generated()

    assert organisation.people.count() == SMALL["people"]
    assert organisation.teams.count() == SMALL["teams"]
    assert organisation.pipelines.count() == SMALL["pipelines"]


def test_it_plants_every_finding_but_the_missing_ml_head():
    data = load_org_data(generated())

    counts = Counter(finding.code for finding in compute_findings(data))

    assert set(counts) == set(CATALOGUE) - {"org.no_ml_head"}


def test_the_same_seed_gives_the_same_organisation():
    first = snapshot(generated("first", seed=3))
    second = snapshot(generated("second", seed=3))

    assert first == second
    assert len(first["people"]) == SMALL["people"]


def test_another_seed_gives_another_organisation():
    first = snapshot(generated("first", seed=3))
    other = snapshot(generated("other", seed=4))

    assert first["people"] != other["people"]
    assert first["pipelines"] != other["pipelines"]


def test_the_ml_head_reports_directly_to_the_root_of_a_tree_six_to_eight_levels_deep():
    organisation = generated()
    index = OrgIndex(load_org_data(organisation))

    head = organisation.ml_head
    assert head.active
    root = head.manager
    assert root is not None and root.manager_id is None
    assert root.role == Role.EXECUTIVE
    assert index.top_of_organisation == root.id
    assert 6 <= max(steps_below(index.children, root.id).values()) <= 8


def test_the_ml_org_is_about_five_percent_of_the_people():
    index = OrgIndex(load_org_data(generated()))

    share = len(index.ml_steps) / SMALL["people"]

    assert 0.04 <= share <= 0.06


def test_every_pipeline_engages_three_to_eight_teams():
    organisation = generated()

    engaged = Pipeline.objects.filter(organisation=organisation).annotate(
        teams=Count("engagements")
    )

    assert {pipeline.teams for pipeline in engaged} <= set(range(3, 9))


def test_most_pipelines_are_owned_by_product_managers_in_the_ml_org():
    organisation = generated()
    index = OrgIndex(load_org_data(organisation))

    owners = [index.people_by_id.get(p.pm_owner_id) for p in index.data.pipelines]
    ml_pms = [
        owner
        for owner in owners
        if owner is not None
        and owner.role == Role.PRODUCT_MANAGER
        and owner.active
        and index.in_ml_org(owner.id)
    ]

    assert len(ml_pms) >= 0.8 * len(owners)


def test_the_command_creates_the_organisation_and_says_what_it_built():
    out = StringIO()

    call_command("generate_org", "bench", **SMALL, seed=1, stdout=out)

    organisation = Organisation.objects.get(slug="bench")
    assert organisation.ml_head is not None
    assert organisation.people.count() == SMALL["people"]
    line = out.getvalue().strip()
    assert "\n" not in line
    assert "800 people (40 in the ML org)" in line
    assert line.endswith("s.")


def test_the_command_refuses_an_organisation_that_already_has_people():
    call_command("generate_org", "bench", **SMALL, stdout=StringIO())

    with pytest.raises(CommandError, match="already has people"):
        call_command("generate_org", "bench", **SMALL, stdout=StringIO())

    assert Organisation.objects.get(slug="bench").people.count() == SMALL["people"]


def test_the_command_refuses_sizes_too_small_for_the_planted_problems():
    with pytest.raises(CommandError, match="--people must be at least"):
        call_command(
            "generate_org", "tiny", people=50, teams=30, pipelines=40, stdout=StringIO()
        )

    assert not Organisation.objects.filter(slug="tiny").exists()


def test_the_command_gives_a_login_a_role_so_it_can_open_what_it_built(client):
    viv = UserFactory(username="viv")
    out = StringIO()

    call_command("generate_org", "bench", **SMALL, member="viv", stdout=out)

    organisation = Organisation.objects.get(slug="bench")
    access = OrganisationAccess.objects.get(organisation=organisation)
    assert (access.user, access.role) == (viv, "editor")  # editor unless --role says
    assert "viv is editor of bench: /orgs/bench/" in out.getvalue()
    client.force_login(viv)
    assert client.get("/orgs/bench/").status_code == 200


def test_the_command_gives_the_role_asked_for():
    UserFactory(username="demo")

    call_command("generate_org", "bench", **SMALL, member="demo", role="viewer",
                 stdout=StringIO())

    assert OrganisationAccess.objects.get(organisation__slug="bench").role == "viewer"


def test_the_command_refuses_an_unknown_login_and_builds_nothing():
    with pytest.raises(CommandError, match="No login named 'nobody'"):
        call_command("generate_org", "bench", **SMALL, member="nobody", stdout=StringIO())

    assert not Organisation.objects.filter(slug="bench").exists()
