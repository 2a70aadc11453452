"""Designs and helpers the remedy tests share (tests/test_remedies.py, tests/test_remedy_rules.py,
tests/test_remedy_rules_pages.py): a roomy design to change, the cases the remedy rules are
checked on, and `advised`, which asks the engine for a finding's remedies."""

from __future__ import annotations

from dataclasses import dataclass

from orgdesign.analysis import proposals
from orgdesign.analysis.changes import (
    design_after,
)
from orgdesign.analysis.findings import Finding, compute_findings, findings_by_rule, in_order
from orgdesign.analysis.orgdata import (
    OrgData,
    OrgIndex,
)
from orgdesign.analysis.plan import plan_findings
from orgdesign.analysis.proposals import (
    Remedy,
)
from orgdesign.analysis.remedies import (
    PROPOSERS,
    Advice,
    advise,
)
from pipelines.models import Pipeline, Stage, Tier
from teams.models import KpiType, Person, Role, Team, TeamKind
from tests.builders import OrgBuilder
from tests.designs import Design, sound_design


def roomy_design(**settings) -> Design:
    """The sound design with room for more direct reports under the ML head, so that adding
    people under her raises no span finding unless a test asks for one."""
    return sound_design(**{"span_max": 50, **settings})


def add_team(
    design: Design,
    name: str,
    kind: str,
    *people: tuple[str, str],
    manager: Person | None = None,
    kpi_type: str = KpiType.MODEL_OUTCOME,
) -> tuple[Team, list[Person]]:
    """A team of `people` (name, role), all members and reporting to `manager` (the ML head
    by default); the first of them leads it. Measured on model outcome unless told."""
    org = design.org
    boss = manager or design.head
    persons = [org.person(person_name, role=role, manager=boss) for person_name, role in people]
    team = org.team(name, kind=kind, lead=persons[0], kpi="model precision", kpi_type=kpi_type)
    for person in persons:
        org.member(person, team)
    return team, persons


def disengage(org: OrgBuilder, pipeline: Pipeline, team: Team) -> None:
    org.engagements = [
        e for e in org.engagements if (e.pipeline_id, e.team_id) != (pipeline.id, team.id)
    ]


def identity(code: str, subject_id: int, stage: str | None = None) -> tuple:
    return (code, subject_id, stage)


def identities(findings: list[Finding]) -> set[tuple]:
    return {identity(f.code, f.subject.id, f.stage) for f in findings}


def steps(remedy: Remedy) -> list[tuple]:
    """A remedy's changes, in short: (action, subject id, target id, role or stage)."""
    return [
        (c.action, c.subject.id, c.to.id if c.to is not None else None, c.role or c.stage)
        for c in remedy.changes
    ]


def judged_afresh(data: OrgData, plan: bool = False) -> list[Finding]:
    """A whole analysis of the design's rows; in plan mode (where a remedy that opens a
    position is judged) with its open positions filled."""
    index = OrgIndex(data)
    by_rule = findings_by_rule(index)
    return plan_findings(index, by_rule) if plan else in_order(by_rule)


@dataclass
class Case:
    """One finding of one design, with the advice on it."""

    index: OrgIndex
    findings: list[Finding]
    finding: Finding
    advice: Advice

    def proposed(self) -> list[Remedy]:
        """What the code's proposer offers, in its own order, before any is tried."""
        return list(PROPOSERS[self.finding.code](self.index, self.finding))

    def after(self, remedy: Remedy) -> list[Finding]:
        """The findings of the design with the remedy made, computed afresh (in plan mode
        for a remedy that opens a position)."""
        return judged_afresh(design_after(self.index, remedy.changes).data,
                             remedy.opens_positions)

    def ranked(self, remedy_steps: list[tuple]) -> tuple[int, Remedy]:
        for rank, remedy in enumerate(self.advice.remedies):
            if steps(remedy) == remedy_steps:
                return rank, remedy
        raise AssertionError(f"{remedy_steps} is not among the remedies")


def advised(org: OrgBuilder, code: str, subject_id: int, stage: str | None = None) -> Case:
    """Advice on the finding (code, subject, stage), which must be in the design. Checks what
    holds for every advice: ranked by cost after the last resorts (a drop) are put last, and
    the positions to open before them, each remedy clears the finding, none is one the seeds
    would refuse."""
    data = org.data()
    index = OrgIndex(data)
    findings = compute_findings(data)
    wanted = identity(code, subject_id, stage)
    matching = [f for f in findings if identity(f.code, f.subject.id, f.stage) == wanted]
    assert matching, f"{wanted} not in {sorted(identities(findings))}"
    advice = advise(index, findings, matching[0])
    assert advice.automatic is True
    ranks = [(remedy.last_resort, remedy.opens_positions, remedy.effect.cost)
             for remedy in advice.remedies]
    assert ranks == sorted(ranks)
    for remedy in advice.remedies:
        assert proposals.endorsed(index, remedy), remedy.summary
        assert wanted in identities(list(remedy.effect.fixed))
        assert_effect_of_a_whole_analysis(index, findings, remedy)
    return Case(index, findings, matching[0], advice)


def assert_effect_of_a_whole_analysis(
    index: OrgIndex, findings: list[Finding], remedy: Remedy
) -> None:
    """A remedy's effect is what a whole analysis of the design it makes says; for one that
    opens a position, in plan mode, before and after."""
    if remedy.opens_positions:
        findings = judged_afresh(index.data, plan=True)
    after = judged_afresh(design_after(index, remedy.changes).data, remedy.opens_positions)
    # By key: a stage resting on one person is one finding per owner team.
    before_keys, after_keys = {f.key for f in findings}, {f.key for f in after}
    assert remedy.effect.fixed == tuple(f for f in findings if f.key not in after_keys)
    assert remedy.effect.introduced == tuple(f for f in after if f.key not in before_keys)


def critical_pipeline_with_thin_data_and_modeling() -> tuple[OrgBuilder, object]:
    """The sound design's pipeline, critical and in production, loses its data and modeling
    owners; Data Ops and Modeling, the only teams of their kinds, are down to their leads
    (Dan and Max left), so staffing either stage with them rests it on one person: an error
    on a critical pipeline. Dropping the stage would bring nothing: the old defect's bait."""
    design = roomy_design()
    design.pipeline.tier = Tier.CRITICAL
    for kind in (TeamKind.DATA_OPS, TeamKind.MODELING):
        design.members[kind].active = False
        disengage(design.org, design.pipeline, design.teams[kind])
    return design.org, design.pipeline


def unowned_stage(lifecycle: str, stage: str, tier: str = Tier.NORMAL) -> tuple[OrgBuilder, int]:
    """The sound design's pipeline, of `lifecycle` and `tier`, with no owner of `stage`; the
    team of its kind is down to its lead."""
    design = roomy_design()
    design.pipeline.lifecycle = lifecycle
    design.pipeline.tier = tier
    kind = {
        Stage.DATA: TeamKind.DATA_OPS, Stage.INFRASTRUCTURE: TeamKind.INFRASTRUCTURE,
        Stage.MODELING: TeamKind.MODELING, Stage.DEPLOYMENT: TeamKind.DEPLOYMENT,
    }[stage]
    design.members[kind].active = False
    disengage(design.org, design.pipeline, design.teams[kind])
    return design.org, design.pipeline.id


def wide_span(span_max: int = 6) -> tuple[OrgBuilder, dict[str, Person]]:
    """Hana, the ML head, has 9 direct reports: Paula (ML product manager), Emil (engineering
    manager, leads Serving), Sonia (science manager, leads Modeling), four scientists in
    Modeling and two ML engineers in Serving."""
    org = OrgBuilder(span_max=span_max)
    ceo = org.person("Cleo", role=Role.EXECUTIVE)
    head = org.person("Hana", role=Role.EXECUTIVE, manager=ceo)
    org.set_ml_head(head)
    people = {"Hana": head}
    for name, role in (("Paula", Role.PRODUCT_MANAGER), ("Emil", Role.ENGINEERING_MANAGER),
                       ("Sonia", Role.SCIENCE_MANAGER)):
        people[name] = org.person(name, role=role, manager=head)
    serving = org.team("Serving", kind=TeamKind.DEPLOYMENT, lead=people["Emil"], kpi="latency",
                       kpi_type=KpiType.MODEL_OUTCOME)
    modeling = org.team("Modeling", kind=TeamKind.MODELING, lead=people["Sonia"], kpi="lift",
                        kpi_type=KpiType.MODEL_OUTCOME)
    org.member(people["Emil"], serving)
    org.member(people["Sonia"], modeling)
    for number in range(4):
        people[f"Sam {number}"] = org.person(f"Sam {number}", role=Role.SCIENTIST, manager=head)
        org.member(people[f"Sam {number}"], modeling)
    for number in range(2):
        people[f"Eve {number}"] = org.person(f"Eve {number}", role=Role.ML_ENGINEER,
                                             manager=head)
        org.member(people[f"Eve {number}"], serving)
    feed = org.pipeline("Feed", pm=people["Paula"], required_stages=["modeling", "deployment"])
    org.engage(feed, serving)
    org.engage(feed, modeling)
    return org, people


def squad_in_a_wide_span() -> tuple[OrgBuilder, dict[str, Person], Team]:
    """The wide span, and the Checkout squad's people reporting to Hana as well: Dina (a
    designer), Pete (a product engineer), Priya (its PM), Mo (an ML engineer) and Sky (a
    scientist); Tia, a tech lead who leads no team."""
    org, people = wide_span(span_max=12)
    head = people["Hana"]
    squad = org.team("Checkout squad", kind=TeamKind.PRODUCT_SQUAD)
    for name, role in (("Dina", Role.OTHER), ("Pete", Role.SOFTWARE_ENGINEER),
                       ("Priya", Role.PRODUCT_MANAGER), ("Mo", Role.ML_ENGINEER),
                       ("Sky", Role.SCIENTIST)):
        people[name] = org.person(name, role=role, manager=head)
        org.member(people[name], squad)
    people["Tia"] = org.person("Tia", role=Role.TECH_LEAD, manager=head)
    return org, people, squad


def top_clears(case: Case) -> Remedy:
    """The top remedy, once checked that applying it really clears the finding."""
    assert case.advice.remedies, "no remedy proposed"
    top = case.advice.remedies[0]
    finding = case.finding
    wanted = identity(finding.code, finding.subject.id, finding.stage)
    assert wanted in identities(case.findings)
    assert wanted not in identities(case.after(top))
    return top
