"""Remedies: for a finding, the concrete changes of the design that would clear it, ranked.

Beside the findings engine and, like it, pure: handed the `OrgIndex` of one design, it asks no
query. For each finding code with a sensible automatic change, a generator (declared with the
code, in `orgdesign.analysis.rules`; shared pieces in `proposals`, the kinds of change in
`changes`) proposes candidates in the order the change itself suggests (the least loaded team,
the product manager with the fewest pipelines...). Each candidate is then tried on a copy of the
design in memory (`design_after`) and judged by the whole engine: a candidate that does not
clear its finding is dropped, and the others are ranked by what they break elsewhere (errors,
then warnings), then by what else they fix, before the order they were proposed in. So a remedy
that would clear one error by making another is ranked below a clean one, whatever the heuristic
preferred. The trying reuses every fact and rule's findings that a change leaves alone
(`Design.after`), so a remedy is judged in milliseconds on a 50,000-person design.

Every remedy must be one the seeds would endorse (docs/design.md), and that is structural, not a
matter of scores: `refusal` says why a change may never be proposed, and a proposal with one is
never offered (the proposers do not make them, and `_advise` drops any that slips by):

- a required stage is dropped only from an incubating pipeline, never `data` or `modeling`
  (seed 002: data and model code are "the two essential ingredients"); a drop is a last
  resort (`Remedy.last_resort`), ranked below every way of staffing the stage whatever the
  costs;
- contractors are never moved; of a product squad's members only scientists and ML engineers
  are, and only under a science manager (seed 000: "a central manager manages scientists
  across squads"): designers, product engineers and the squad's PM stay where they are;
- product managers and managers (a manager's role, or people who lead a team or have
  reports) are never moved under another team's manager: someone who leads a team none of
  theirs, unless already above them on their own line;
- a wide span is split by giving a manager of the same discipline a share of the reports
  (`DISCIPLINES`: scientists under a science manager, engineers under an engineering manager
  or a tech lead), so every split keeps the disciplines together;
- a position is never opened in a team outside the ML org.

A remedy that opens a position (`Remedy.opens_positions`: a seat to hire into the team that
owns a stage, or into a team of the stage's kind) staffs with people who are not there yet:
it ranks after every remedy that uses people already there, whatever the costs, and above
dropping the stage. An open position counts only in plan mode (docs/design.md section 1), so
such a remedy is judged there: the stage rules run on the design with its open positions,
this one included, filled by placeholders (`orgdesign.analysis.plan`), and its effect is
measured against the design's own plan, so it is offered only where the positions already
open do not clear the finding, and credited only with what its own seat does.

`plan_all_fixes` builds one list of changes that applies the best remedy of every error, one
after the other on the design as the earlier ones left it, so no later change undoes an earlier
one, and says which errors are left. It opens positions only for the errors that no remedy
with people already there clears, once those are all made; from the first position opened on,
the design is judged in plan mode."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from orgdesign.analysis.catalogue import CATALOGUE, ERROR, PROPOSERS, RULES
from orgdesign.analysis.changes import Change, _changed, judged_in_plan, tables_of
from orgdesign.analysis.finding import Finding
from orgdesign.analysis.findings import (
    FindingsByRule,
    findings_after_tables,
    findings_by_rule,
    in_order,
)
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.plan import PLAN_RULES, plan_by_rule, plan_index
from orgdesign.analysis.proposals import Effect, Remedy, endorsed
from teams.models import as_row_id


@dataclass
class Advice:
    """The ranked remedies of one finding; none, with the catalogue's words, when no change
    can be made automatically (or none of those tried clears it)."""

    finding: Finding
    remedies: list[Remedy]

    @property
    def manual(self) -> str:
        return CATALOGUE[self.finding.code].fix

    @property
    def automatic(self) -> bool:
        return self.finding.code in PROPOSERS

    def as_dict(self) -> dict[str, Any]:
        return {
            "finding": self.finding.as_dict(),
            "automatic": self.automatic,
            "fix": self.manual,
            "remedies": [remedy.as_dict(rank) for rank, remedy in enumerate(self.remedies, 1)],
        }


# What the findings of plan mode read: the tables of the rules it runs again, and the open
# positions themselves.
PLAN_READS = frozenset({"positions"}).union(*(rule.reads for rule in PLAN_RULES))
# The rules that judge a design in plan mode as they judge the design itself.
OWN_RULES = tuple(rule for rule in RULES if rule not in PLAN_RULES)


class Design:
    """One design analysed: its index and the findings of each rule (`kept.Analysis` is one
    too), so a change can run again only the rules that read what it changed. In plan mode
    (`plan`) the stage rules' findings are those of the design with its open positions
    filled (`orgdesign.analysis.plan`); the index is the design's own either way."""

    def __init__(self, index: OrgIndex, by_rule: FindingsByRule | None = None,
                 plan: bool = False):
        self.index = index
        self.by_rule = by_rule if by_rule is not None else findings_by_rule(index)
        self.plan = plan

    @cached_property
    def findings(self) -> list[Finding]:
        return in_order(self.by_rule)

    @cached_property
    def planned(self) -> Design:
        """This design judged in plan mode."""
        if self.plan:
            return self
        return Design(self.index, plan_by_rule(self.index, self.by_rule), plan=True)

    def after(self, changes: Sequence[Change]) -> Design:
        """This design with `changes` made, in memory; judged in plan mode from the first
        change that only plan mode sees (a position opened) on."""
        if not self.plan and judged_in_plan(changes):
            return self.planned.after(changes)
        index, touched = _changed(self.index, changes)
        tables = tables_of(changes)
        if not self.plan:
            return Design(index, findings_after_tables(index, self.by_rule, tables, touched))
        # In plan mode the stage rules judge the plan (the open positions filled), where a
        # position opened is a member of its team.
        by_rule = findings_after_tables(index, self.by_rule, tables, touched, OWN_RULES)
        if tables & PLAN_READS:
            in_plan = tables | ({"people", "memberships"} if "positions" in tables else set())
            by_rule = findings_after_tables(plan_index(index), by_rule, in_plan, touched,
                                            PLAN_RULES)
        return Design(index, by_rule, plan=True)


def judged(design: Design, remedy: Remedy) -> Remedy:
    """The remedy with its effect on the design: a remedy judged in plan mode against the
    design's own plan, so the positions already open count for neither."""
    after = design.after(remedy.changes)
    before = design.planned if after.plan else design
    return replace(remedy, effect=effect_between(before, after), after=after)


def effect_between(before: Design, after: Design) -> Effect:
    """The findings of `before` that `after` no longer has (by key) and those it brings, in
    the engine's order. Compared rule by rule: a rule not judged again holds the very same
    list in both, and a finding's key names its rule's code, so only the rules judged again
    are compared (not a thousand findings sorted and compared per remedy tried)."""
    fixed: list[Finding] = []
    introduced: list[Finding] = []
    for name, findings in after.by_rule.items():
        old = before.by_rule[name]
        if findings is old:
            continue
        old_keys, new_keys = {f.key for f in old}, {f.key for f in findings}
        fixed += [f for f in old if f.key not in new_keys]
        introduced += [f for f in findings if f.key not in old_keys]
    return Effect(tuple(sorted(fixed, key=Finding.sort_key)),
                  tuple(sorted(introduced, key=Finding.sort_key)))


def advise(
    index: OrgIndex,
    findings: Sequence[Finding],
    finding: Finding,
    by_rule: FindingsByRule | None = None,
) -> Advice:
    """The remedies that clear `finding`, best first. `by_rule`, the findings of `index` by
    rule when the caller has them (`kept.Analysis.by_rule`), saves judging the design again."""
    return _advise(Design(index, by_rule), finding)


def _advise(design: Design, finding: Finding, positions: bool = True) -> Advice:
    """The remedies that clear `finding` on `design`, best first; without those that open a
    position unless `positions`."""
    proposer = PROPOSERS.get(finding.code)
    if proposer is None:
        return Advice(finding, [])
    target = finding.key
    ranked = []
    for order, remedy in enumerate(proposer(design.index, finding)):
        if not endorsed(design.index, remedy):
            continue  # never offered, whatever it would fix
        if remedy.opens_positions and not positions:
            continue
        remedy = judged(design, remedy)
        if any(f.key == target for f in remedy.effect.fixed):
            # A drop last, whatever the costs; before it, positions to open after every
            # remedy with people already there.
            ranked.append(((remedy.last_resort, remedy.opens_positions, remedy.effect.cost,
                            order), remedy))
    ranked.sort(key=lambda item: item[0])
    return Advice(finding, [remedy for _, remedy in ranked])


def find(findings: Sequence[Finding], key: str) -> Finding | None:
    """The finding a URL names: its key, or its position (from 0) in the engine's order. A
    position is ASCII digits that fit an id ("²" passes str.isdigit() but not int(), which
    also refuses 5,000 digits): anything else is read as a key, and names no finding."""
    position = as_row_id(key)
    if position is not None:
        return findings[position] if position < len(findings) else None
    return next((finding for finding in findings if finding.key == key), None)


# Every error at once.


@dataclass
class Step:
    finding: Finding
    remedy: Remedy


@dataclass
class Plan:
    steps: list[Step]
    before: list[Finding]
    # In plan mode when a step opens a position: the design as it will be once hired.
    after: list[Finding]

    @property
    def changes(self) -> list[Change]:
        return [change for step in self.steps for change in step.remedy.changes]

    @property
    def left(self) -> list[Finding]:
        """The errors still there once every step is made."""
        return [finding for finding in self.after if finding.severity == ERROR]

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": [
                {"finding": step.finding.as_dict(), **step.remedy.as_dict(rank)}
                for rank, step in enumerate(self.steps, 1)
            ],
            "left": [{**f.as_dict(), "automatic": f.code in PROPOSERS} for f in self.left],
            "errors_before": sum(1 for f in self.before if f.severity == ERROR),
            "errors_after": len(self.left),
        }


def plan_all_fixes(
    index: OrgIndex,
    findings: Sequence[Finding],
    by_rule: FindingsByRule | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """The best remedy of every error with one, each chosen on the design the earlier ones
    left, so none undoes another. A remedy is taken only when it clears its error and brings
    no error, so the errors only go down; the errors no remedy clears so are left, and said.
    Positions are opened only once no remedy with people already there is left to make, for
    the errors those left (judged in plan mode from then on: `Plan.after`).
    `progress(done, total)` hears of each error judged."""
    # The plan makes millions of short-lived objects, freed as they go: the cycle collector,
    # left on, would walk the whole heap (every design kept in the process) dozens of times
    # for nothing, which made the plan half as slow again inside `make bench`.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _plan(index, findings, by_rule, progress)
    finally:
        if collecting:
            gc.enable()


def _plan(index: OrgIndex, findings: Sequence[Finding], by_rule: FindingsByRule | None,
          progress: Callable[[int, int], None] | None) -> Plan:
    current = Design(index, by_rule)
    steps: list[Step] = []
    given_up: set[str] = set()
    # Whether a step was made since the errors given up were last tried: it may have made
    # one clearable (a team given a lead can stand in for one outside the ML org).
    stepped = False
    # Whether remedies that open a position are tried: once the others are all made.
    positions = False
    total = sum(1 for f in current.findings if f.severity == ERROR and f.code in PROPOSERS)
    while True:
        # The first such error in the engine's order (`in_order`: by `sort_key`, ties in
        # the rules' order), without sorting every finding of every design stepped to.
        finding = min(
            (f for rule in RULES for f in current.by_rule[rule.name]
             if f.severity == ERROR and f.code in PROPOSERS and f.key not in given_up),
            key=Finding.sort_key, default=None,
        )
        if finding is None:
            if not given_up or not stepped and positions:
                break
            positions = positions or not stepped
            given_up.clear()
            stepped = False
            continue
        advice = _advise(current, finding, positions)
        best = next((r for r in advice.remedies if r.effect.cost[0] == 0), None)
        if best is None:
            given_up.add(finding.key)
        else:
            # The step keeps its changes and effect, not the design they made: hundreds of
            # designs of 50,000 people kept alive would only feed the garbage collector.
            steps.append(Step(finding, replace(best, after=None)))
            current = best.after
            stepped = True
        if progress is not None:
            progress(min(len(steps) + len(given_up), total), total)
    return Plan(steps, list(findings), current.findings)
