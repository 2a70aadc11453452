"""The structure classifier (docs/design.md section 3), on unsaved model instances and no
database."""

import pytest

from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.structure import TRADE_OFFS, classify_structure
from pipelines.models import EngagementRole, Lifecycle, Pipeline
from teams.models import Person, Role, Team, TeamKind
from tests.builders import OrgBuilder


def staff(org: OrgBuilder, team: Team, count: int, role: str = Role.SCIENTIST) -> list[Person]:
    people = []
    for number in range(count):
        person = org.person(f"{team.name} {number}", role=role)
        org.member(person, team)
        people.append(person)
    return people


def split(org: OrgBuilder, central: int, embedded: int) -> tuple[Team, Team]:
    """`central` scientists in a modeling team, `embedded` in a product squad."""
    modeling = org.team("Modeling", kind=TeamKind.MODELING)
    squad = org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD)
    staff(org, modeling, central)
    staff(org, squad, embedded)
    return modeling, squad


def matrix_rows(org: OrgBuilder, lifecycle: str = Lifecycle.PRODUCTION) -> list[Pipeline]:
    """Three specialised kinds engaged as owner or contributor, two pipelines with an active
    PM and two teams each so: Feed ranking (Data Ops owner, ML Infra contributor) and Ads
    ranking (Deployment owner, ML Infra contributor)."""
    pm = org.person("Paula", role=Role.PRODUCT_MANAGER)
    data = org.team("Data Ops", kind=TeamKind.DATA_OPS)
    infra = org.team("ML Infra", kind=TeamKind.INFRASTRUCTURE)
    deploy = org.team("Deployment", kind=TeamKind.DEPLOYMENT)
    feed = org.pipeline("Feed ranking", pm=pm, lifecycle=lifecycle)
    ads = org.pipeline("Ads ranking", pm=pm, lifecycle=lifecycle)
    org.engage(feed, data)
    org.engage(feed, infra, EngagementRole.CONTRIBUTOR)
    org.engage(ads, deploy)
    org.engage(ads, infra, EngagementRole.CONTRIBUTOR)
    return [feed, ads]


def engagement_of(org: OrgBuilder, pipeline: Pipeline, team: Team):
    return next(
        e for e in org.engagements if (e.pipeline_id, e.team_id) == (pipeline.id, team.id)
    )


def named_team(org: OrgBuilder, name: str) -> Team:
    return next(team for team in org.teams if team.name == name)


def label_of(org: OrgBuilder) -> str:
    return classify_structure(org.data()).label


# none --------------------------------------------------------------------------------------


def test_a_design_without_scientists_or_ml_engineers_is_labelled_none():
    org = OrgBuilder()
    staff(org, org.team("Platform", kind=TeamKind.INFRASTRUCTURE), 3, Role.SOFTWARE_ENGINEER)

    structure = classify_structure(org.data())

    assert structure.label == "none"
    assert (structure.people, structure.central_share, structure.embedded_share) == (0, 0.0, 0.0)
    # Seed 000: the embedded model explores ML applications before a team exists.
    assert "embedded" in structure.fit_hint
    assert "explore" in structure.fit_hint
    assert "fits" not in structure.fit_hint


def test_an_empty_design_is_labelled_none():
    structure = classify_structure(OrgBuilder().data())

    assert (structure.label, structure.people, structure.unteamed) == ("none", 0, 0)
    assert structure.trade_offs == TRADE_OFFS["none"]


def test_scientists_who_left_are_not_counted():
    org = OrgBuilder()
    for person in staff(org, org.team("Modeling"), 3):
        person.active = False

    assert label_of(org) == "none"


# unknown -------------------------------------------------------------------------------------


def test_scientists_none_of_whom_has_a_team_leave_the_structure_unknown():
    org = OrgBuilder()
    org.person("Sue", role=Role.SCIENTIST)
    org.person("Mel", role=Role.ML_ENGINEER)
    # Teams and pipelines of other people do not tell where the scientists work.
    staff(org, org.team("Platform", kind=TeamKind.INFRASTRUCTURE), 2, Role.SOFTWARE_ENGINEER)

    structure = classify_structure(org.data())

    assert structure.label == "unknown"
    assert (structure.people, structure.unteamed) == (0, 2)
    assert (structure.central_share, structure.embedded_share) == (0.0, 0.0)
    assert structure.trade_offs == TRADE_OFFS["unknown"]
    # The hint says to record who works where, not to start an ML team.
    assert structure.fit_hint.startswith("2 active scientists and ML engineers are in no team")
    assert "record who works in which team" in structure.fit_hint
    assert "explore" not in structure.fit_hint and "embedded model" not in structure.fit_hint
    assert "fits" not in structure.fit_hint


def test_one_scientist_in_no_team_is_unknown_in_the_singular():
    org = OrgBuilder()
    org.person("Sue", role=Role.SCIENTIST)

    structure = classify_structure(org.data())

    assert structure.label == "unknown"
    assert structure.fit_hint.startswith("1 active scientist or ML engineer is in no team")


def test_a_scientist_who_left_in_a_team_does_not_make_the_unteamed_known():
    org = OrgBuilder()
    staff(org, org.team("Modeling"), 1)[0].active = False
    org.person("Sue", role=Role.SCIENTIST)

    assert label_of(org) == "unknown"


def test_once_one_scientist_has_a_team_the_others_are_left_out_and_the_label_is_known():
    org = OrgBuilder()
    staff(org, org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD), 1)
    for number in range(5):
        org.person(f"Unteamed {number}", role=Role.SCIENTIST)

    structure = classify_structure(org.data())

    assert (structure.label, structure.people, structure.unteamed) == ("embedded", 1, 5)


# embedded, centralized, hybrid ---------------------------------------------------------------


def test_it_labels_embedded_from_four_in_five_in_product_squads():
    org = OrgBuilder()
    split(org, central=1, embedded=4)

    structure = classify_structure(org.data())

    assert structure.label == "embedded"
    assert (structure.people, structure.central, structure.embedded) == (5, 1, 4)
    assert (structure.central_share, structure.embedded_share) == (0.2, 0.8)


def test_it_labels_centralized_from_four_in_five_in_specialised_teams():
    org = OrgBuilder()
    split(org, central=4, embedded=1)

    structure = classify_structure(org.data())

    assert structure.label == "centralized"
    assert (structure.central_share, structure.embedded_share) == (0.8, 0.2)


@pytest.mark.parametrize(("central", "embedded"), [(3, 1), (1, 3), (1, 1)])
def test_it_labels_hybrid_when_neither_share_reaches_four_in_five(central, embedded):
    org = OrgBuilder()
    split(org, central=central, embedded=embedded)

    assert label_of(org) == "hybrid"


def test_ml_engineers_count_like_scientists():
    org = OrgBuilder()
    modeling, _ = split(org, central=1, embedded=0)
    staff(org, modeling, 3, Role.ML_ENGINEER)

    structure = classify_structure(org.data())

    assert (structure.label, structure.people, structure.central) == ("centralized", 4, 4)


def test_other_roles_do_not_count():
    org = OrgBuilder()
    _, squad = split(org, central=4, embedded=0)
    staff(org, squad, 5, Role.SOFTWARE_ENGINEER)
    staff(org, squad, 5, Role.DATA_ENGINEER)

    structure = classify_structure(org.data())

    assert (structure.label, structure.people) == ("centralized", 4)


def test_a_main_team_of_kind_other_counts_as_central():
    # Seed 000: the centralized model has the scientists "clustered in a single team",
    # whatever that team's kind.
    org = OrgBuilder()
    split(org, central=3, embedded=0)
    staff(org, org.team("Research lab", kind=TeamKind.OTHER), 1)

    structure = classify_structure(org.data())

    assert (structure.people, structure.central, structure.embedded) == (4, 4, 0)
    assert structure.central_other == 1
    assert (structure.central_share, structure.embedded_share) == (1.0, 0.0)
    assert structure.label == "centralized"


def test_scientists_clustered_in_a_team_of_kind_other_are_centralized():
    org = OrgBuilder()
    staff(org, org.team("ML team", kind=TeamKind.OTHER), 4)
    staff(org, org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD), 1)

    structure = classify_structure(org.data())

    assert (structure.label, structure.central, structure.central_other) == ("centralized", 4, 4)
    assert structure.central_share == 0.8


def central_share_of(central: int, embedded: int, kind: str) -> tuple[str, float, int]:
    org = OrgBuilder()
    staff(org, org.team("Central", kind=kind), central)
    staff(org, org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD), embedded)
    structure = classify_structure(org.data())
    return structure.label, structure.central_share, structure.central_percent


@pytest.mark.parametrize("kind", [TeamKind.MODELING, TeamKind.OTHER])
@pytest.mark.parametrize(
    ("central", "embedded", "label", "share", "percent"),
    [
        (4, 1, "centralized", 0.8, 80),  # exactly 0.8
        (3999, 1001, "hybrid", 0.799, 79),  # 79.98%: just under, never reads 80%
    ],
    ids=["exactly-0.8", "just-under"],
)
def test_the_central_share_at_its_boundary(kind, central, embedded, label, share, percent):
    assert central_share_of(central, embedded, kind) == (label, share, percent)


@pytest.mark.parametrize(
    ("central", "embedded", "label", "share", "percent"),
    [
        (1, 4, "embedded", 0.8, 80),  # exactly 0.8
        (1001, 3999, "hybrid", 0.799, 79),  # 79.98%: just under, never reads 80%
    ],
    ids=["exactly-0.8", "just-under"],
)
def test_the_embedded_share_at_its_boundary(central, embedded, label, share, percent):
    org = OrgBuilder()
    split(org, central=central, embedded=embedded)

    structure = classify_structure(org.data())

    assert (structure.label, structure.embedded_share, structure.embedded_percent) == (
        label, share, percent
    )
    # The two shares add up to the whole (each cut down, never rounded up).
    assert structure.central + structure.embedded == structure.people


def test_people_without_membership_are_left_out_of_the_shares_and_the_count():
    org = OrgBuilder()
    split(org, central=4, embedded=0)
    for number in range(3):
        org.person(f"Unteamed {number}", role=Role.SCIENTIST)

    structure = classify_structure(org.data())

    assert (structure.label, structure.people, structure.central_share) == ("centralized", 4, 1.0)


def test_the_ml_org_boundary_does_not_enter_the_label():
    # No ML head and a modeling team whose lead sits anywhere: still centralized.
    org = OrgBuilder()
    outsider = org.person("Otto", role=Role.EXECUTIVE)
    staff(org, org.team("Research Modeling", kind=TeamKind.MODELING, lead=outsider), 5)

    assert label_of(org) == "centralized"


def test_shares_are_truncated_to_three_places_not_rounded():
    org = OrgBuilder()
    split(org, central=1, embedded=2)

    structure = classify_structure(org.data())

    assert (structure.central_share, structure.embedded_share) == (0.333, 0.666)
    assert (structure.central_percent, structure.embedded_percent) == (33, 66)


# matrix --------------------------------------------------------------------------------------


def test_it_labels_a_centralized_design_with_integrated_pipelines_matrix():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    matrix_rows(org)

    structure = classify_structure(org.data())

    assert structure.label == "matrix"
    assert structure.specialised_kinds_engaged == ["data_ops", "deployment", "infrastructure"]
    assert structure.pipelines_with_pm_and_two_teams == 2


def test_three_specialised_kinds_make_a_matrix_two_do_not():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    assert label_of(org) == "matrix"
    # Deployment owns Ads ranking no more: a product squad does, which is no specialised kind.
    deploy = named_team(org, "Deployment")
    engagement_of(org, ads, deploy).team_id = org.team("Ads squad", kind=TeamKind.PRODUCT_SQUAD).id

    structure = classify_structure(org.data())

    assert structure.specialised_kinds_engaged == ["data_ops", "infrastructure"]
    assert structure.pipelines_with_pm_and_two_teams == 2
    assert structure.label == "centralized"


def test_two_specialised_kinds_engaged_are_not_a_matrix():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    deploy = org.teams[-1]
    org.engagements[:] = [e for e in org.engagements if e.team_id != deploy.id]
    # A product squad engaged is a team, not a specialised kind.
    org.engage(ads, org.team("Ads squad", kind=TeamKind.PRODUCT_SQUAD))

    structure = classify_structure(org.data())

    assert structure.specialised_kinds_engaged == ["data_ops", "infrastructure"]
    assert structure.pipelines_with_pm_and_two_teams == 2
    assert structure.label == "centralized"


def test_specialised_teams_that_no_pipeline_engages_do_not_count_towards_a_matrix():
    org = OrgBuilder()
    modeling, _ = split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    org.engagements[:] = [e for e in org.engagements if e.pipeline_id == feed.id]
    org.team("Tooling", kind=TeamKind.TOOLING)

    structure = classify_structure(org.data())

    assert structure.specialised_kinds_engaged == ["data_ops", "infrastructure"]
    assert structure.label == "centralized"


def test_one_pipeline_with_pm_and_two_teams_is_not_a_matrix():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    # Ads ranking is left with Deployment alone.
    org.engagements.remove(engagement_of(org, ads, named_team(org, "ML Infra")))

    structure = classify_structure(org.data())

    assert structure.specialised_kinds_engaged == ["data_ops", "deployment", "infrastructure"]
    assert structure.pipelines_with_pm_and_two_teams == 1
    assert structure.label == "centralized"


def test_a_pipeline_without_pm_does_not_count_towards_a_matrix():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    ads.pm_owner_id = None

    structure = classify_structure(org.data())

    assert structure.pipelines_with_pm_and_two_teams == 1
    assert structure.label == "centralized"


def test_a_pipeline_whose_pm_left_does_not_count_towards_a_matrix():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    ads.pm_owner_id = org.person("Lea", role=Role.PRODUCT_MANAGER, active=False).id

    structure = classify_structure(org.data())

    assert structure.pipelines_with_pm_and_two_teams == 1
    assert structure.label == "centralized"


def test_a_kind_engaged_only_as_a_service_does_not_count_towards_a_matrix():
    # A platform consumed as a service does not make a matrix.
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    tooling = org.team("ML Tooling", kind=TeamKind.TOOLING)
    org.engage(feed, tooling, EngagementRole.SERVICE)
    org.engage(ads, tooling, EngagementRole.SERVICE)
    engagement_of(org, ads, named_team(org, "Deployment")).role = EngagementRole.SERVICE

    structure = classify_structure(org.data())

    assert structure.specialised_kinds_engaged == ["data_ops", "infrastructure"]
    assert structure.label == "centralized"


def test_a_team_engaged_as_a_service_does_not_make_a_pipeline_run_across_teams():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    # Feed ranking draws on ML Infra as a service only: one team as owner or contributor.
    engagement_of(org, feed, named_team(org, "ML Infra")).role = EngagementRole.SERVICE

    structure = classify_structure(org.data())

    assert structure.specialised_kinds_engaged == ["data_ops", "deployment", "infrastructure"]
    assert structure.pipelines_with_pm_and_two_teams == 1
    assert structure.label == "centralized"


@pytest.mark.parametrize("role", [EngagementRole.OWNER, EngagementRole.CONTRIBUTOR])
def test_owners_and_contributors_both_count_towards_a_matrix(role):
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    for engagement in org.engagements:
        engagement.role = role

    assert label_of(org) == "matrix"


def test_a_matrix_of_scientists_clustered_in_a_team_of_kind_other():
    org = OrgBuilder()
    staff(org, org.team("ML team", kind=TeamKind.OTHER), 5)
    matrix_rows(org)

    assert label_of(org) == "matrix"


def test_any_two_teams_make_an_integrated_pipeline():
    # "At least 2 teams each": a product squad counts as one of them.
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    feed, ads = matrix_rows(org)
    org.engagements.remove(engagement_of(org, ads, named_team(org, "ML Infra")))
    org.engage(ads, org.team("Ads squad", kind=TeamKind.PRODUCT_SQUAD), EngagementRole.CONTRIBUTOR)

    assert label_of(org) == "matrix"


def test_integrated_pipelines_without_a_central_structure_are_hybrid():
    org = OrgBuilder()
    split(org, central=3, embedded=2)
    matrix_rows(org)

    assert label_of(org) == "hybrid"


def test_integrated_pipelines_with_scientists_embedded_are_embedded():
    org = OrgBuilder()
    split(org, central=1, embedded=4)
    matrix_rows(org)

    assert label_of(org) == "embedded"


# Main team -----------------------------------------------------------------------------------


def test_the_main_team_is_the_one_with_the_largest_allocation():
    org = OrgBuilder()
    modeling, squad = split(org, central=0, embedded=0)
    sue = org.person("Sue", role=Role.SCIENTIST)
    org.member(sue, modeling, 40)
    org.member(sue, squad, 60)

    structure = classify_structure(org.data())

    assert (structure.label, structure.embedded) == ("embedded", 1)


def test_on_a_tie_the_specialised_team_is_the_main_team():
    org = OrgBuilder()
    squad = org.team("Feed squad", kind=TeamKind.PRODUCT_SQUAD)  # the lower id
    modeling = org.team("Modeling", kind=TeamKind.MODELING)
    sue = org.person("Sue", role=Role.SCIENTIST)
    org.member(sue, squad, 50)
    org.member(sue, modeling, 50)

    assert OrgIndex(org.data()).main_team(sue.id) == modeling
    assert label_of(org) == "centralized"


@pytest.mark.parametrize(
    ("first_kind", "second_kind"),
    [
        (TeamKind.MODELING, TeamKind.DATA_OPS),
        (TeamKind.PRODUCT_SQUAD, TeamKind.PRODUCT_SQUAD),
        (TeamKind.OTHER, TeamKind.PRODUCT_SQUAD),
    ],
)
def test_on_a_tie_between_teams_alike_the_lower_id_is_the_main_team(first_kind, second_kind):
    org = OrgBuilder()
    first = org.team("First", kind=first_kind)
    second = org.team("Second", kind=second_kind)
    sue = org.person("Sue", role=Role.SCIENTIST)
    org.member(sue, second, 50)  # listed first, so the order of memberships cannot decide
    org.member(sue, first, 50)

    assert OrgIndex(org.data()).main_team(sue.id) == first


def test_someone_without_membership_has_no_main_team():
    org = OrgBuilder()
    sue = org.person("Sue", role=Role.SCIENTIST)

    assert OrgIndex(org.data()).main_team(sue.id) is None


# Evidence, trade-offs and fit hints ----------------------------------------------------------


def test_the_evidence_counts_pipelines_by_lifecycle():
    org = OrgBuilder()
    split(org, central=1, embedded=0)
    org.pipeline("A", lifecycle=Lifecycle.PRODUCTION)
    org.pipeline("B", lifecycle=Lifecycle.PRODUCTION)
    org.pipeline("C", lifecycle=Lifecycle.SUNSET)

    structure = classify_structure(org.data())

    assert structure.lifecycles == {"incubating": 0, "production": 2, "sunset": 1}


def test_the_structure_reads_as_a_dict_with_its_evidence():
    org = OrgBuilder()
    split(org, central=4, embedded=1)

    result = classify_structure(org.data()).as_dict()

    assert result["label"] == "centralized"
    assert {
        "people",
        "central",
        "embedded",
        "central_share",
        "embedded_share",
        "specialised_kinds_engaged",
        "pipelines_with_pm_and_two_teams",
        "lifecycles",
        "fit_hint",
    } <= set(result)


@pytest.mark.parametrize(
    "label", ["none", "unknown", "embedded", "centralized", "hybrid", "matrix"]
)
def test_every_label_comes_with_its_trade_offs(label):
    assert TRADE_OFFS[label]


def test_the_trade_offs_shown_are_those_of_the_label():
    org = OrgBuilder()
    split(org, central=1, embedded=1)

    structure = classify_structure(org.data())

    assert structure.trade_offs == TRADE_OFFS["hybrid"]
    assert any("rotations" in line for line in structure.trade_offs)


def pipelines(org: OrgBuilder, production: int = 0, incubating: int = 0) -> None:
    for number in range(production):
        org.pipeline(f"Production {number}", lifecycle=Lifecycle.PRODUCTION)
    for number in range(incubating):
        org.pipeline(f"Incubating {number}", lifecycle=Lifecycle.INCUBATING)


def test_mostly_production_pipelines_under_an_embedded_structure_suggest_a_central_team():
    org = OrgBuilder()
    split(org, central=0, embedded=5)
    pipelines(org, production=2, incubating=1)

    hint = classify_structure(org.data()).fit_hint

    assert "2 of 3 pipelines are in production" in hint
    assert "central team" in hint


def test_mostly_incubating_pipelines_under_a_centralized_structure_suggest_embedding():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    pipelines(org, production=1, incubating=2)

    hint = classify_structure(org.data()).fit_hint

    assert "2 of 3 pipelines are incubating" in hint
    assert "embedding" in hint


def test_mostly_incubating_pipelines_under_a_matrix_suggest_embedding():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    matrix_rows(org, lifecycle=Lifecycle.INCUBATING)

    structure = classify_structure(org.data())

    assert structure.label == "matrix"
    assert "2 of 2 pipelines are incubating" in structure.fit_hint


@pytest.mark.parametrize(
    ("central", "embedded", "production", "incubating", "evidence"),
    [
        (0, 5, 0, 3, "3 of 3 pipelines are incubating, which the embedded model suits"),
        (5, 0, 3, 0, "3 of 3 pipelines are in production, which a central model suits"),
    ],
)
def test_a_fit_is_claimed_only_with_the_lifecycles_that_show_it(
    central, embedded, production, incubating, evidence
):
    org = OrgBuilder()
    split(org, central=central, embedded=embedded)
    pipelines(org, production=production, incubating=incubating)

    assert classify_structure(org.data()).fit_hint.startswith(evidence)


@pytest.mark.parametrize(("central", "embedded"), [(0, 5), (5, 0)])
def test_balanced_lifecycles_claim_no_fit(central, embedded):
    org = OrgBuilder()
    split(org, central=central, embedded=embedded)
    pipelines(org, production=1, incubating=1)

    hint = classify_structure(org.data()).fit_hint

    assert hint == (
        "No lifecycle holds a majority of the 2 pipelines (1 in production, 1 incubating), "
        "so they do not point to another model."
    )


@pytest.mark.parametrize(("production", "incubating"), [(0, 3), (3, 0), (0, 0)])
def test_the_hybrid_hint_names_its_costs_whatever_the_lifecycles(production, incubating):
    org = OrgBuilder()
    split(org, central=1, embedded=1)
    pipelines(org, production=production, incubating=incubating)

    hint = classify_structure(org.data()).fit_hint

    assert "afford" in hint
    assert "rotations" in hint
    assert "fits" not in hint


def test_sunset_pipelines_weigh_against_a_majority():
    org = OrgBuilder()
    split(org, central=0, embedded=5)
    pipelines(org, production=2)
    org.pipeline("Old", lifecycle=Lifecycle.SUNSET)
    org.pipeline("Older", lifecycle=Lifecycle.SUNSET)

    hint = classify_structure(org.data()).fit_hint

    assert hint.startswith("No lifecycle holds a majority of the 4 pipelines")


def test_without_pipelines_there_is_no_fit_hint():
    org = OrgBuilder()
    split(org, central=0, embedded=5)

    assert classify_structure(org.data()).fit_hint == ""


def test_classify_structure_accepts_an_index_built_beforehand():
    org = OrgBuilder()
    split(org, central=5, embedded=0)
    matrix_rows(org)
    data = org.data()

    assert classify_structure(data, OrgIndex(data)) == classify_structure(data)
