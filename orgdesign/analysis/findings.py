"""The findings engine's entrance: every flag of docs/design.md section 2, from one design,
without queries.

`compute_findings(data)` is handed the lists of one organisation and returns the findings in
their fixed order (severity, code, subject name). Each rule (`orgdesign.analysis.rules`, gathered
by `orgdesign.analysis.catalogue`) is a small generator over an `OrgIndex`, which computes the
reporting chains once per call; this module runs them, all or only those a change concerns.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from orgdesign.analysis.catalogue import CELL_RULES, RULE_TABLES, RULES
from orgdesign.analysis.declare import SEVERITY_ORDER, Rule
from orgdesign.analysis.finding import Finding, Ref, team_ref, with_effective_severity
from orgdesign.analysis.orgdata import OrgData, OrgIndex
from orgdesign.analysis.rules.people import RULE as PERSON_RULE

if TYPE_CHECKING:
    from orgdesign.analysis.changes import Touched

# What the engine's users import from here, as well as the functions below.
__all__ = [
    "Finding", "FindingsByRule", "Ref", "compute_findings", "count_by_severity",
    "findings_after_cells", "findings_after_tables", "findings_by_rule", "in_order", "team_ref",
]

FindingsByRule = dict[str, list[Finding]]


def compute_findings(data: OrgData, index: OrgIndex | None = None) -> list[Finding]:
    """All findings of one design, ordered by severity, code, then subject name."""
    return in_order(findings_by_rule(index or OrgIndex(data)))


def findings_by_rule(index: OrgIndex, rules=RULES) -> FindingsByRule:
    """The findings of each rule, by the rule's name, with their effective severity."""
    return {
        rule.name: [with_effective_severity(finding, index) for finding in rule(index)]
        for rule in rules
    }


def in_order(by_rule: FindingsByRule) -> list[Finding]:
    """All the findings, ordered by severity, code, then subject name."""
    findings = [finding for rule in RULES for finding in by_rule[rule.name]]
    findings.sort(key=Finding.sort_key)
    return findings


def findings_after_cells(index: OrgIndex, before: FindingsByRule) -> FindingsByRule:
    """The findings of a design whose cells (engagements) alone changed since `before`:
    the rules that read cells run again over `index`, the others' findings are kept."""
    return {**before, **findings_by_rule(index, CELL_RULES)}


def findings_after_tables(
    index: OrgIndex,
    before: FindingsByRule,
    tables: set[str],
    touched: Touched | None = None,
    rules: Sequence[Rule] = RULES,
) -> FindingsByRule:
    """The findings of a design of which only `tables` changed since `before`: the rules
    (of `rules`) that read one of them run again over `index`, the others' findings are kept.
    `touched`, when the caller knows it, says what the changes wrote
    (`changes.Touched`):

    - its people are the only people whose own facts changed (a person moved, everyone
      below them, their old and new managers; a PM or lead given or taken a pipeline or
      team; a member moved): the person rules, whose findings about a person depend on that
      person's facts alone, run again over them only;
    - a rule per pipeline or team (`Rule.per`) runs again over the pipelines or teams the
      changes can reach (`reached`) only.

    Either needs the people known when reporting lines changed."""
    again = [rule for rule in rules if RULE_TABLES[rule.name] & tables]
    after = {**before}
    # A change of reporting lines whose people are not known reaches anyone's chain.
    known = touched is not None and (touched.people is not None or "reporting" not in tables)
    reach: dict[str, set[int]] = {}
    for rule in again:
        if known and rule is PERSON_RULE and touched.people is not None:
            people = touched.people
            rows = [index.people_by_id[pid] for pid in people if pid in index.people_by_id]
            after[rule.name] = _with(before[rule.name], people, PERSON_RULE(index, rows), index)
        elif known and rule.per:
            if rule.per not in reach:
                reach[rule.per] = reached(index, touched, rule.per)
            only = reach[rule.per]
            after[rule.name] = _with(before[rule.name], only, rule(index, only), index)
        else:
            after.update(findings_by_rule(index, (rule,)))
    return after


def reached(index: OrgIndex, touched: Touched, per: str) -> set[int]:
    """The pipelines (`per` "pipeline") or teams whose findings of a rule per pipeline or
    team (`Rule.per`) a change can move, as `index` (the design after it) has them:

    - the teams it wrote, those led by or with a member among the people whose own facts
      (their chain, what they lead or belong to) changed, and those engaged in a pipeline
      it wrote;
    - the pipelines it wrote, those whose PM is among those people, and those engaged with
      a team of the first two kinds.

    A change names what it takes away (a cell's pipeline, a member's old team), so what the
    design after it no longer links is reached too."""
    if per == "root":
        return reached_roots(index, touched)
    people = touched.people or set()
    teams = set(touched.teams)
    for person_id in people:
        teams.update(index.led_team_ids_by_person.get(person_id, ()))
        teams.update(m.team_id for m in index.memberships_by_person.get(person_id, ()))
    if per == "team":
        for pipeline_id in touched.pipelines:
            teams.update(e.team_id for e in index.engagements_by_pipeline.get(pipeline_id, ()))
        return teams
    pipelines = set(touched.pipelines)
    for person_id in people.intersection(index.pipelines_by_pm):
        pipelines.update(pipeline.id for pipeline in index.pipelines_by_pm[person_id])
    by_team = index.engagements_by_team
    for team_id in teams:
        pipelines.update(engagement.pipeline_id for engagement in by_team.get(team_id, ()))
    return pipelines


def reached_roots(index: OrgIndex, touched: Touched) -> set[int]:
    """The tops of solid-line chains (`OrgIndex.root_of`, before the change and after it)
    of everyone whose place a change can move: the people whose own facts changed; the
    leads and members of the teams it wrote or whose lead is among those people (a team is
    in the ML org when its lead is); the PMs of the pipelines it wrote."""
    people = set(touched.people or ())
    designs = (index, touched.before) if touched.before is not None else (index,)
    teams = set(touched.teams)
    for design in designs:
        for person_id in touched.people or ():
            teams.update(design.led_team_ids_by_person.get(person_id, ()))
    for design in designs:
        for team_id in teams:
            team = design.teams_by_id.get(team_id)
            if team is not None:
                people.add(team.lead_id)
            people.update(design.active_members_by_team.get(team_id, ()))
        for pipeline_id in touched.pipelines:
            pipeline = design.pipelines_by_id.get(pipeline_id)
            if pipeline is not None:
                people.add(pipeline.pm_owner_id)
    roots = set()
    for design in designs:
        root_of = design.root_of
        roots.update(root_of[person_id] for person_id in people if person_id in root_of)
    return roots


def _with(before: list[Finding], subjects: set[int], again: Iterable[Finding],
          index: OrgIndex) -> list[Finding]:
    """A rule's findings with those about `subjects` replaced by `again`, judged afresh."""
    return [finding for finding in before if finding.subject.id not in subjects] + [
        with_effective_severity(finding, index) for finding in again
    ]


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(finding.severity for finding in findings)
    return {severity: counts.get(severity, 0) for severity in SEVERITY_ORDER}
