"""The findings engine's entrance: every flag of docs/design.md section 2, from one design,
without queries.

`compute_findings(data)` is handed the lists of one organisation and returns the findings in
their fixed order (severity, code, subject name). Each rule (`orgdesign.analysis.rules`, gathered
by `orgdesign.analysis.catalogue`) is a small generator over an `OrgIndex`, which computes the
reporting chains once per call; this module runs them, all or only those a change concerns.
"""

from __future__ import annotations

from collections import Counter

from orgdesign.analysis.catalogue import CELL_RULES, RULE_TABLES, RULES
from orgdesign.analysis.declare import SEVERITY_ORDER
from orgdesign.analysis.finding import Finding, Ref, team_ref, with_effective_severity
from orgdesign.analysis.orgdata import OrgData, OrgIndex
from orgdesign.analysis.rules.people import RULE as PERSON_RULE

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
    people: set[int] | None = None,
) -> FindingsByRule:
    """The findings of a design of which only `tables` changed since `before`: the rules
    that read one of them run again over `index`, the others' findings are kept. `people`,
    when the caller knows them, are the only people whose own facts changed (a person moved,
    everyone below them, their old and new managers; a PM or lead given or taken a
    pipeline or team; a member moved): the person rules, whose findings about a person depend
    on that person's facts alone, run again over them only."""
    again = [rule for rule in RULES if RULE_TABLES[rule.name] & tables]
    partial = people is not None and PERSON_RULE in again
    if partial:
        again.remove(PERSON_RULE)
    after = {**before, **findings_by_rule(index, tuple(again))}
    if partial:
        rows = [index.people_by_id[pid] for pid in people if pid in index.people_by_id]
        after[PERSON_RULE.name] = [
            finding for finding in before[PERSON_RULE.name] if finding.subject.id not in people
        ] + [with_effective_severity(finding, index) for finding in PERSON_RULE(index, rows)]
    return after


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(finding.severity for finding in findings)
    return {severity: counts.get(severity, 0) for severity in SEVERITY_ORDER}
