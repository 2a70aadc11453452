"""The structure page at /orgs/<slug>/structure/: label, evidence, meanings, trade-offs, fit."""

import re

import pytest

from orgdesign.analysis.structure import TRADE_OFFS
from pipelines.generator import generate_org
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




def staff(team, count, role="scientist"):
    for _ in range(count):
        MembershipFactory(person=PersonFactory(organisation=team.organisation, role=role),
                          team=team)


def split(org, central, embedded):
    """`central` scientists in a modeling team and `embedded` in a product squad."""
    modeling = TeamFactory(organisation=org, name="Ranking Models", kind="modeling")
    squad = TeamFactory(organisation=org, name="Checkout squad", kind="product_squad")
    staff(modeling, central)
    staff(squad, embedded)
    return modeling, squad


def pipelines(org, count, lifecycle, teams=(), pm=None):
    for _ in range(count):
        pipeline = PipelineFactory(organisation=org, lifecycle=lifecycle, pm_owner=pm)
        for team in teams:
            EngagementFactory(pipeline=pipeline, team=team)


def page(org) -> str:
    response = client_for(org).get(f"/orgs/{org.slug}/structure/")
    assert response.status_code == 200
    return response.content.decode()


def label_on(content: str) -> str:
    match = re.search(r'data-structure="([^"]*)"', content)
    assert match
    return match.group(1)


def evidence(content: str, name: str) -> str:
    match = re.search(rf'<dd data-evidence="{name}">(.*?)</dd>', content, re.S)
    assert match
    return match.group(1)


def current_rule(content: str) -> list[str]:
    return re.findall(r'<li class="current" aria-current="true" data-label="(\w+)">', content)


def test_a_centralized_organisation_is_labelled_with_its_evidence():
    org = OrganisationFactory()
    modeling, _ = split(org, central=9, embedded=1)
    pipelines(org, 3, "incubating", teams=[modeling])

    content = page(org)

    assert label_on(content) == "centralized"
    assert evidence(content, "people") == "10"
    assert evidence(content, "central").startswith("9 (90%)")
    assert evidence(content, "embedded").startswith("1 (10%)")
    assert evidence(content, "kinds") == "1: Modeling"
    assert evidence(content, "integrated").startswith("0 pipelines")
    assert evidence(content, "lifecycles").startswith("3 incubating, 0 production, 0 sunset")
    # Mostly incubating pipelines under a centralized structure: embed.
    assert "3 of 3 pipelines are incubating" in content
    assert current_rule(content) == ["centralized"]
    for trade_off in TRADE_OFFS["centralized"]:
        assert trade_off.replace("'", "&#x27;") in content


def test_an_embedded_organisation_is_labelled_and_hinted_to_spin_off_a_central_team():
    org = OrganisationFactory()
    split(org, central=1, embedded=4)
    pipelines(org, 2, "production")
    pipelines(org, 1, "incubating")

    content = page(org)

    assert label_on(content) == "embedded"
    assert evidence(content, "embedded").startswith("4 (80%)")
    assert "2 of 3 pipelines are in production" in content
    assert "spin off into a dedicated central team" in content
    assert current_rule(content) == ["embedded"]
    assert TRADE_OFFS["embedded"][0] in content


def test_a_hybrid_organisation_is_labelled_with_its_shares():
    org = OrganisationFactory()
    split(org, central=3, embedded=2)

    content = page(org)

    assert label_on(content) == "hybrid"
    assert evidence(content, "central").startswith("3 (60%)")
    assert evidence(content, "embedded").startswith("2 (40%)")
    assert current_rule(content) == ["hybrid"]
    # Without pipelines the hint still names the costs of a hybrid, and claims no fit.
    hint = re.search(r"<p class=\"fit-hint\" data-fit-hint>(.*?)</p>", content, re.S).group(1)
    assert "afford" in hint and "consider rotations" in hint
    assert "fits" not in hint


def test_a_share_just_under_the_threshold_never_reads_80_percent():
    org = OrganisationFactory()
    split(org, central=159, embedded=41)  # 79.5%: rounding would show 80%

    content = page(org)

    assert label_on(content) == "hybrid"
    assert evidence(content, "central").startswith("159 (79%)")
    assert evidence(content, "embedded").startswith("41 (20%)")


def test_a_matrix_organisation_is_labelled_with_its_pipelines_across_teams():
    org = OrganisationFactory()
    modeling, _ = split(org, central=5, embedded=0)
    data_ops = TeamFactory(organisation=org, name="Labeling Ops", kind="data_ops")
    deployment = TeamFactory(organisation=org, name="Model Serving", kind="deployment")
    pm = PersonFactory(organisation=org, role="product_manager")
    pipelines(org, 2, "production", teams=[data_ops, modeling, deployment], pm=pm)

    content = page(org)

    assert label_on(content) == "matrix"
    assert evidence(content, "kinds") == "3: Data operations, Modeling, Deployment"
    assert evidence(content, "integrated").startswith("2 pipelines with an active PM owner")
    assert (
        "2 of 2 pipelines are in production, which a central model suits" in content
    )
    assert current_rule(content) == ["matrix"]


def test_a_matrix_needs_an_active_pm_so_a_departed_one_leaves_it_centralized():
    org = OrganisationFactory()
    modeling, _ = split(org, central=5, embedded=0)
    data_ops = TeamFactory(organisation=org, name="Labeling Ops", kind="data_ops")
    deployment = TeamFactory(organisation=org, name="Model Serving", kind="deployment")
    pm = PersonFactory(organisation=org, role="product_manager", active=False)
    pipelines(org, 2, "production", teams=[data_ops, modeling, deployment], pm=pm)

    content = page(org)

    assert label_on(content) == "centralized"
    assert evidence(content, "integrated").startswith("0 pipelines")


def test_every_label_is_explained_with_the_current_one_highlighted():
    org = OrganisationFactory()

    content = page(org)

    assert label_on(content) == "none"
    labels = re.findall(r'<li[^>]* data-label="(\w+)">', content)
    assert labels == ["none", "unknown", "embedded", "matrix", "centralized", "hybrid"]
    assert current_rule(content) == ["none"]
    assert "At least 80%" in content


def test_scientists_in_no_team_make_the_structure_unknown_on_the_page():
    org = OrganisationFactory()
    PersonFactory(organisation=org, role="scientist")
    PersonFactory(organisation=org, role="ml_engineer")

    content = page(org)

    assert label_on(content) == "unknown"
    assert current_rule(content) == ["unknown"]
    assert evidence(content, "people") == "0"
    assert evidence(content, "unteamed") == "2 in no team"
    hint = re.search(r"<p class=\"fit-hint\" data-fit-hint>(.*?)</p>", content, re.S).group(1)
    assert "record who works in which team" in hint
    assert "explore" not in hint
    for trade_off in TRADE_OFFS["unknown"]:
        assert trade_off in content


def test_a_team_of_kind_other_counts_as_central_and_a_service_makes_no_matrix_on_the_page():
    org = OrganisationFactory()
    ml_team = TeamFactory(organisation=org, name="ML team", kind="other")
    staff(ml_team, 4)
    staff(TeamFactory(organisation=org, name="Checkout squad", kind="product_squad"), 1)
    data_ops = TeamFactory(organisation=org, name="Labeling Ops", kind="data_ops")
    platform = TeamFactory(organisation=org, name="ML Platform", kind="infrastructure")
    deployment = TeamFactory(organisation=org, name="Model Serving", kind="deployment")
    pm = PersonFactory(organisation=org, role="product_manager")
    for _ in range(2):
        pipeline = PipelineFactory(organisation=org, lifecycle="production", pm_owner=pm)
        EngagementFactory(pipeline=pipeline, team=data_ops, role="owner")
        EngagementFactory(pipeline=pipeline, team=platform, role="contributor")
        EngagementFactory(pipeline=pipeline, team=deployment, role="service")

    content = page(org)

    # 4 in 5 outside product squads, exactly 80%: central, but Model Serving, consumed as a
    # service, is no third kind.
    assert label_on(content) == "centralized"
    assert evidence(content, "central").startswith(
        "4 (80%) whose main team is not a product squad, 4 of them in a team of no specialised"
    )
    assert evidence(content, "kinds") == "2: Data operations, Infrastructure"
    assert evidence(content, "integrated").startswith("2 pipelines")


def test_the_structure_page_needs_a_login_and_access(client, logged_in_client):
    org = OrganisationFactory(slug="acme")

    response = client.get("/orgs/acme/structure/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert logged_in_client.get("/orgs/acme/structure/").status_code == 404
    assert client_for(org).post("/orgs/acme/structure/").status_code == 405


def test_the_organisation_name_is_escaped():
    org = OrganisationFactory(name="<script>alert(1)</script>")

    content = page(org)

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_structure_queries_do_not_grow_with_the_organisation(django_assert_num_queries):
    for people, teams, pipeline_count in ((400, 20, 20), (2000, 80, 120)):
        organisation = OrganisationFactory()
        generate_org(organisation, people=people, teams=teams, pipelines=pipeline_count, seed=7)
        client = client_for(organisation)
        # session, user, organisation with the user's role; then the organisation again and
        # one query per table (people, teams, memberships, pipelines, engagements, positions,
        # the software catalog the generator plants), the first time the design's version is
        # read; then it is kept.
        with django_assert_num_queries(11):
            response = client.get(f"/orgs/{organisation.slug}/structure/")
        assert response.status_code == 200
        with django_assert_num_queries(3):
            assert client.get(f"/orgs/{organisation.slug}/structure/").status_code == 200
        assert evidence(response.content.decode(), "people") != "0"
