"""Remedies: for a finding, the concrete changes of the design that would clear it, ranked.

Beside the findings engine and, like it, pure: handed the `OrgIndex` of one design, it asks
no query. For each finding code with a sensible automatic change, a generator proposes
candidates in the order the change itself suggests (the least loaded team, the product
manager with the fewest pipelines...). Each candidate is then tried on a copy of the design
in memory (`design_after`) and judged by the whole engine: a candidate that does not clear
its finding is dropped, and the others are ranked by what they break elsewhere (errors, then
warnings), then by what else they fix, before the order they were proposed in. So a remedy
that would clear one error by making another is ranked below a clean one, whatever the
heuristic preferred. The trying reuses every fact and rule's findings that a change leaves
alone (`Design.after`), so a remedy is judged in milliseconds on a 50,000-person design.

Every remedy must be one the seeds would endorse (docs/design.md), and that is structural, not a
matter of scores: `refusal` says why a change may never be proposed, and a proposal with one
is never offered (the proposers do not make them, and `_advise` drops any that slips by):

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
  or a tech lead), so every split keeps the disciplines together.

`plan_all_fixes` builds one list of changes that applies the best remedy of every error, one
after the other on the design as the earlier ones left it, so no later change undoes an
earlier one, and says which errors are left.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from orgdesign.analysis.catalogue import CATALOGUE, ERROR, INFO, WARNING
from orgdesign.analysis.findings import (
    Finding,
    FindingsByRule,
    Ref,
    findings_after_tables,
    findings_by_rule,
    in_order,
    team_ref,
)
from orgdesign.analysis.orgdata import EngagementRow, OrgIndex
from orgdesign.analysis.reporting import chain_of, cycle_if_manager_set
from pipelines.models import STAGE_KIND, EngagementRole, Lifecycle, Stage
from teams.models import Role, Team, TeamKind, WorkerType, as_row_id

# How many candidates of one kind a finding is offered: enough for a clean alternative to
# the heuristic's first choice, few enough to try each on a 50,000-person design.
CANDIDATES = 3

# The kinds of change a remedy is made of; `orgdesign.scenarios.fixes` writes each through
# a service.
SET_MANAGER = "set_manager"  # subject person, to person
SET_LEAD = "set_lead"  # subject team, to person
SET_CELL = "set_cell"  # subject pipeline, to team, role ("" clears the cell)
SET_PM = "set_pm"  # subject pipeline, to person
DROP_STAGE = "drop_stage"  # subject pipeline, stage
MOVE_MEMBER = "move_member"  # subject person, from_team, to team
ACTIONS = (SET_MANAGER, SET_LEAD, SET_CELL, SET_PM, DROP_STAGE, MOVE_MEMBER)

# Who leads a team best, by role: managers first, then tech leads, then the rest.
LEAD_ROLES = (
    Role.ENGINEERING_MANAGER,
    Role.SCIENCE_MANAGER,
    Role.OPS_MANAGER,
    Role.TECH_LEAD,
    Role.EXECUTIVE,
    Role.SCIENTIST,
    Role.ML_ENGINEER,
    Role.DATA_ENGINEER,
    Role.SOFTWARE_ENGINEER,
    Role.PRODUCT_MANAGER,
    Role.OTHER,
)
ROLE_SENIORITY = {str(role): rank for rank, role in enumerate(LEAD_ROLES)}
ROLE_STRENGTH = {EngagementRole.SERVICE: 0, EngagementRole.CONTRIBUTOR: 1, EngagementRole.OWNER: 2}

# What the seeds endorse (see the module's docstring) ------------------------------------------

# Seed 002: data and model code are "the two essential ingredients": never dropped.
ESSENTIAL_STAGES = frozenset({Stage.DATA, Stage.MODELING})
# The only people of a product squad who may be moved (under a science manager).
ML_ROLES = frozenset({Role.SCIENTIST, Role.ML_ENGINEER})
# Roles that manage, whoever reports to them; product managers own pipelines and stay put.
MANAGER_ROLES = frozenset({
    Role.PRODUCT_MANAGER,
    Role.ENGINEERING_MANAGER,
    Role.SCIENCE_MANAGER,
    Role.OPS_MANAGER,
    Role.TECH_LEAD,
    Role.EXECUTIVE,
})
# Who may take a share of a wide span, and the roles of the reports of their discipline:
# scientists under a science manager, engineers under an engineering manager or a tech lead
# (ML engineers are both: seed 000's central ML manager manages them too). A manager of the
# same discipline may join them only as a manager of managers (see `refusal`).
DISCIPLINES = {
    Role.SCIENCE_MANAGER: frozenset({Role.SCIENTIST, Role.ML_ENGINEER, Role.SCIENCE_MANAGER}),
    Role.ENGINEERING_MANAGER: frozenset({
        Role.ML_ENGINEER, Role.DATA_ENGINEER, Role.SOFTWARE_ENGINEER,
        Role.ENGINEERING_MANAGER, Role.TECH_LEAD,
    }),
    Role.TECH_LEAD: frozenset({Role.ML_ENGINEER, Role.DATA_ENGINEER, Role.SOFTWARE_ENGINEER}),
}


@dataclass(frozen=True)
class Change:
    """One edit of the design, with the words that say it."""

    action: str
    subject: Ref
    words: str
    to: Ref | None = None
    role: str = ""
    stage: str = ""
    from_team: Ref | None = None

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "action": self.action,
            "subject": self.subject.as_dict(),
            "to": self.to.as_dict() if self.to is not None else None,
            "words": self.words,
        }
        if self.action == SET_CELL:
            result["role"] = self.role
        if self.stage:
            result["stage"] = self.stage
        if self.from_team is not None:
            result["from_team"] = self.from_team.as_dict()
        return result


@dataclass(frozen=True)
class Effect:
    """What a remedy does to the whole design: the findings it clears and those it brings."""

    fixed: tuple[Finding, ...]
    introduced: tuple[Finding, ...]

    def count(self, findings: Iterable[Finding], severity: str) -> int:
        return sum(1 for finding in findings if finding.severity == severity)

    @property
    def cost(self) -> tuple[int, int, int, int, int]:
        """Lower is better: errors brought, warnings brought, then errors and warnings fixed
        besides (more is better), then infos brought."""
        return (
            self.count(self.introduced, ERROR),
            self.count(self.introduced, WARNING),
            -self.count(self.fixed, ERROR),
            -self.count(self.fixed, WARNING),
            self.count(self.introduced, INFO),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "fixed": [finding.as_dict() for finding in self.fixed],
            "introduced": [finding.as_dict() for finding in self.introduced],
        }


@dataclass(frozen=True)
class Remedy:
    summary: str
    changes: tuple[Change, ...]
    effect: Effect | None = None
    # Offered only after every other remedy, whatever the costs (dropping a stage rather than
    # staffing it).
    last_resort: bool = False
    # The design with the changes made, once judged: a plan goes on from it.
    after: Design | None = field(default=None, compare=False, repr=False)

    @property
    def clean(self) -> bool:
        """Brings no error or warning elsewhere."""
        return self.effect is not None and self.effect.cost[:2] == (0, 0)

    def as_dict(self, rank: int) -> dict[str, Any]:
        result: dict[str, Any] = {
            "rank": rank,
            "summary": self.summary,
            "changes": [change.as_dict() for change in self.changes],
        }
        if self.effect is not None:
            result.update(self.effect.as_dict())
        return result


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


# Trying changes on a copy of the design ------------------------------------------------------

# The table of the design each kind of change writes.
TABLE_OF = {
    SET_MANAGER: "reporting",
    SET_LEAD: "teams",
    SET_CELL: "engagements",
    SET_PM: "pipelines",
    DROP_STAGE: "pipelines",
    MOVE_MEMBER: "memberships",
}


def design_after(index: OrgIndex, changes: Sequence[Change]) -> OrgIndex:
    """The index of the design with `changes` made, in memory; the rows it does not change
    are shared with `index`, which is left as it was."""
    return _changed(index, changes)[0]


def _changed(index: OrgIndex, changes: Sequence[Change]) -> tuple[OrgIndex, set[int] | None]:
    """`design_after`, and the people whose own facts changed when that is known (for
    managers moved, when the index could follow them: `OrgIndex.moved`); else None."""
    data = index.data
    people, teams = list(data.people), list(data.teams)
    memberships, pipelines = list(data.memberships), list(data.pipelines)
    engagements = list(data.engagements)
    person_at = index.person_positions
    team_at = {team.id: i for i, team in enumerate(teams)}
    pipeline_at = {pipeline.id: i for i, pipeline in enumerate(pipelines)}

    def position(at: dict[int, int], row_id: int | None) -> int:
        if row_id not in at:
            raise ValueError(f"No row {row_id} to change.")
        return at[row_id]

    def edited(rows: list, at: dict[int, int], row_id: int, **values):
        i = position(at, row_id)
        rows[i] = replace_row(rows[i], **values)

    # The people a change of a lead, a PM or a membership touches: the one given and the one
    # relieved of it.
    touched: set[int | None] = set()
    for change in changes:
        subject_id = change.subject.id
        to_id = change.to.id if change.to is not None else None
        if change.action == SET_MANAGER:
            edited(people, person_at, subject_id, manager_id=to_id)
        elif change.action == SET_LEAD:
            touched.update((teams[position(team_at, subject_id)].lead_id, to_id))
            edited(teams, team_at, subject_id, lead_id=to_id)
        elif change.action == SET_PM:
            touched.update((pipelines[position(pipeline_at, subject_id)].pm_owner_id, to_id))
            edited(pipelines, pipeline_at, subject_id, pm_owner_id=to_id)
        elif change.action == DROP_STAGE:
            stages = pipelines[position(pipeline_at, subject_id)].required_stages or []
            edited(pipelines, pipeline_at, subject_id,
                   required_stages=[stage for stage in stages if stage != change.stage])
        elif change.action == SET_CELL:
            position(pipeline_at, subject_id), position(team_at, to_id)
            engagements = [
                e for e in engagements if (e.pipeline_id, e.team_id) != (subject_id, to_id)
            ]
            if change.role:
                # An id no stored cell has: the engine never reads it.
                engagements.append(EngagementRow(-len(engagements) - 1, subject_id, to_id,
                                                 change.role))
        elif change.action == MOVE_MEMBER:
            touched.add(subject_id)
            from_id = change.from_team.id
            position(team_at, to_id)
            memberships = [
                replace_row(m, team_id=to_id)
                if (m.person_id, m.team_id) == (subject_id, from_id) else m
                for m in memberships
            ]
    data = replace(data, people=people, teams=teams, memberships=memberships,
                   pipelines=pipelines, engagements=engagements)
    managers = [change for change in changes if change.action == SET_MANAGER]
    if managers and len(managers) == len(changes):
        moved = index.moved(data, {c.subject.id: c.to.id if c.to else None for c in changes})
        if moved is not None:
            return moved
    after = index.changed(data, tables_of(changes))
    return after, None if managers else touched - {None}


def tables_of(changes: Sequence[Change]) -> set[str]:
    return {TABLE_OF[change.action] for change in changes}


def replace_row(row, **values):
    row = copy.copy(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


def effect_of(before: Sequence[Finding], after: Sequence[Finding]) -> Effect:
    keys_before = {finding.key for finding in before}
    keys_after = {finding.key for finding in after}
    return Effect(
        fixed=tuple(f for f in before if f.key not in keys_after),
        introduced=tuple(f for f in after if f.key not in keys_before),
    )


# What may never be proposed -------------------------------------------------------------------


def is_contractor(person) -> bool:
    return getattr(person, "worker_type", WorkerType.EMPLOYEE) == WorkerType.CONTRACTOR


def in_product_squad(index: OrgIndex, person_id: int) -> bool:
    return any(
        getattr(index.teams_by_id.get(m.team_id), "kind", None) == TeamKind.PRODUCT_SQUAD
        for m in index.memberships_by_person.get(person_id, ())
    )


def manages(index: OrgIndex, person) -> bool:
    """A product manager or a manager: a manager's role, or a team led or people managed."""
    return (
        person.role in MANAGER_ROLES
        or bool(index.led_team_ids_by_person.get(person.id))
        or bool(index.children.get(person.id))
    )


def teams_of(index: OrgIndex, person_id: int) -> set[int]:
    """The teams someone is a member of or leads."""
    return {m.team_id for m in index.memberships_by_person.get(person_id, ())} | set(
        index.led_team_ids_by_person.get(person_id, ())
    )


def move_refused(index: OrgIndex, person_id: int, manager_id: int | None) -> str | None:
    """Why `person_id` may never be put under `manager_id` (a new solid line, or the lead of
    a team they are moved into), or None when they may."""
    person = index.people_by_id.get(person_id)
    if person is None:
        return "nobody to move"
    if is_contractor(person):
        return f"{person.name} is a contractor: contractors are never moved"
    manager = index.people_by_id.get(manager_id) if manager_id is not None else None
    if in_product_squad(index, person_id) and (
        person.role not in ML_ROLES or manager is None or manager.role != Role.SCIENCE_MANAGER
    ):
        return (
            f"{person.name} is in a product squad, whose members move only as scientists or "
            "ML engineers, and only under a science manager"
        )
    if manager_id is not None and manages(index, person):
        led = set(index.led_team_ids_by_person.get(manager_id, ()))
        if (
            led
            and not led & teams_of(index, person_id)
            and manager_id not in chain_of(index.manager_of, person_id)[1:]
        ):
            return (
                f"{person.name} is a product manager or a manager, never moved under another "
                "team's manager"
            )
    return None


def drop_refused(index: OrgIndex, pipeline_id: int, stage: str) -> str | None:
    """Why the stage may never be dropped from what the pipeline requires, or None."""
    pipeline = index.pipelines_by_id.get(pipeline_id)
    if stage in ESSENTIAL_STAGES:
        return f"{stage} is an essential stage of every pipeline"
    if pipeline is None or pipeline.lifecycle != Lifecycle.INCUBATING:
        return "a stage is dropped only from an incubating pipeline"
    return None


def refusal(index: OrgIndex, change: Change) -> str | None:
    """Why the change may never be proposed, or None when the seeds would endorse it."""
    to_id = change.to.id if change.to is not None else None
    if change.action == DROP_STAGE:
        return drop_refused(index, change.subject.id, change.stage)
    if change.action == SET_MANAGER:
        return move_refused(index, change.subject.id, to_id)
    if change.action == MOVE_MEMBER:
        team = index.teams_by_id.get(to_id)
        return move_refused(index, change.subject.id, team.lead_id if team else None)
    return None


def endorsed(index: OrgIndex, remedy: Remedy) -> bool:
    return all(refusal(index, change) is None for change in remedy.changes)


# Proposing candidates, code by code -----------------------------------------------------------


def _person(index: OrgIndex, person_id: int | None) -> Ref:
    return Ref("person", person_id, index.person_name(person_id))


def _pipeline(index: OrgIndex, pipeline_id: int) -> Ref:
    return Ref("pipeline", pipeline_id, index.pipelines_by_id[pipeline_id].name)


def would_loop(index: OrgIndex, person_id: int, manager_id: int) -> bool:
    return bool(cycle_if_manager_set(index.manager_of, person_id, manager_id))


def set_manager(index: OrgIndex, person_id: int, manager_id: int, why: str = "") -> Change:
    words = f"{index.person_name(person_id)} reports to {index.person_name(manager_id)}"
    return Change(SET_MANAGER, _person(index, person_id), words + (f" {why}" if why else "")
                  + ".", to=_person(index, manager_id))


def set_cell(index: OrgIndex, pipeline_id: int, team: Team, role: str) -> Change:
    pipeline = index.pipelines_by_id[pipeline_id].name
    if role:
        words = f"{team.name} is engaged in {pipeline} as {role}."
    else:
        words = f"{team.name} is no longer engaged in {pipeline}."
    return Change(SET_CELL, _pipeline(index, pipeline_id), words, to=team_ref(team), role=role)


def ml_teams_of_kind(index: OrgIndex, kind: str, other_than: int | None = None) -> list[Team]:
    return [
        team for team in index.data.teams
        if team.kind == kind and team.id != other_than and index.team_in_ml_org(team) is True
    ]


def owned_pipelines(index: OrgIndex, team_id: int) -> int:
    return sum(
        1 for e in index.engagements_by_team.get(team_id, ()) if e.role == EngagementRole.OWNER
    )


def members(index: OrgIndex, team_id: int) -> int:
    return len(index.active_members_by_team.get(team_id, ()))


def load(index: OrgIndex, team: Team) -> float:
    """Pipelines owned per active member: how busy a team already is."""
    return owned_pipelines(index, team.id) / max(members(index, team.id), 1)


def outside_dependency(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    team = index.teams_by_id[finding.subject.id]
    lead = team.lead_id
    head = index.ml_head
    if (head is not None and not would_loop(index, lead, head.id)
            and move_refused(index, lead, head.id) is None):
        yield Remedy(
            f"Move {index.person_name(lead)}, with {team.name}, under the ML head {head.name}.",
            (set_manager(index, lead, head.id, f"(bringing {team.name} into the ML org)"),),
        )
    # The same kind of team already in the ML org, the one sharing most pipelines first.
    pipelines = {e.pipeline_id for e in index.engagements_by_team.get(team.id, ())}
    peers = sorted(
        ml_teams_of_kind(index, team.kind, other_than=team.id),
        key=lambda peer: (
            -len(pipelines & {e.pipeline_id for e in index.engagements_by_team.get(peer.id, ())}),
            load(index, peer), peer.name.casefold(), peer.id,
        ),
    )
    managers_offered = {head.id} if head is not None else set()
    for peer in peers[:CANDIDATES]:
        manager = index.manager_of.get(peer.lead_id)
        if manager is None or index.in_ml_org(manager) is not True:
            manager = peer.lead_id
        if (manager in managers_offered or would_loop(index, lead, manager)
                or move_refused(index, lead, manager) is not None):
            continue
        managers_offered.add(manager)
        yield Remedy(
            f"Move {index.person_name(lead)}, with {team.name}, under "
            f"{index.person_name(manager)}, the ML manager of {peer.name}.",
            (set_manager(index, lead, manager, f"(bringing {team.name} into the ML org)"),),
        )
    for peer in sorted(peers, key=lambda p: (load(index, p), p.name.casefold(), p.id))[
        :CANDIDATES
    ]:
        changes = []
        for engagement in sorted(index.engagements_by_team.get(team.id, ()),
                                 key=lambda e: index.pipelines_by_id[e.pipeline_id].name):
            current = next((e.role for e in index.engagements_by_pipeline.get(
                engagement.pipeline_id, ()) if e.team_id == peer.id), None)
            if current is None or ROLE_STRENGTH[current] < ROLE_STRENGTH[engagement.role]:
                changes.append(set_cell(index, engagement.pipeline_id, peer, engagement.role))
            changes.append(set_cell(index, engagement.pipeline_id, team, ""))
        depend = "pipeline that depends" if len(pipelines) == 1 else "pipelines that depend"
        yield Remedy(
            f"Engage {peer.name}, in the ML org, instead of {team.name} in the "
            f"{len(pipelines)} {depend} on it.",
            tuple(changes),
        )


def stage_unowned(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    """Staff the stage: a team of its kind in the ML org owns it (the least loaded first),
    an owner team with nobody in it stepping down to contributor; or a member of the team of
    its kind with the most spare people joins that empty owner. Dropping the stage comes
    last, and only where the seeds allow it (`drop_refused`)."""
    pipeline_id, stage = finding.subject.id, finding.stage
    kind = STAGE_KIND[stage]
    # The owner teams with no active member (`related`), which stay engaged as owner.
    empty = [index.teams_by_id[ref.id] for ref in finding.related
             if ref.type == "team" and ref.id in index.teams_by_id]
    empty_ids = {team.id for team in empty}
    teams = sorted((t for t in ml_teams_of_kind(index, kind) if t.id not in empty_ids),
                   key=lambda t: (load(index, t), t.name.casefold(), t.id))
    for team in teams[:CANDIDATES]:
        changes = [set_cell(index, pipeline_id, team, EngagementRole.OWNER)]
        changes += [set_cell(index, pipeline_id, owner, EngagementRole.CONTRIBUTOR)
                    for owner in empty if owner.kind != TeamKind.PRODUCT_SQUAD]
        yield Remedy(
            f"Make {team.name} (owns {plural(owned_pipelines(index, team.id), 'pipeline')} "
            f"with {plural(members(index, team.id), 'active member')}) owner of the {stage} "
            "stage of "
            f"{finding.subject.name}.",
            tuple(changes),
        )
    for owner in empty[:1]:
        yield from staff_from_spare(index, owner, kind)
    if drop_refused(index, pipeline_id, stage) is None:
        yield Remedy(
            f"Drop the {stage} stage from what {finding.subject.name} requires.",
            (Change(DROP_STAGE, finding.subject,
                    f"{finding.subject.name} no longer requires the {stage} stage.",
                    stage=stage),),
            last_resort=True,
        )


def spare(index: OrgIndex, team: Team) -> int:
    return members(index, team.id) - owned_pipelines(index, team.id)


def staff_from_spare(index: OrgIndex, owner: Team, kind: str) -> Iterator[Remedy]:
    """A member of the ML team of `kind` with the most spare people (not its lead, nor a lead
    of any team, nor anyone the seeds would not move) joins `owner`."""
    teams = sorted(
        (t for t in ml_teams_of_kind(index, kind, other_than=owner.id)
         if members(index, t.id) > 1),
        key=lambda t: (-spare(index, t), t.name.casefold(), t.id),
    )
    leads = index.led_team_ids_by_person
    for team in teams[:1]:
        movable = sorted(
            (
                index.people_by_id[pid] for pid in index.active_members_by_team.get(team.id, ())
                if pid != team.lead_id and not leads.get(pid)
                and owner.id not in {m.team_id for m in index.memberships_by_person[pid]}
                and move_refused(index, pid, owner.lead_id) is None
            ),
            key=lambda person: (person.name.casefold(), person.id),
        )
        for person in movable[:1]:
            yield Remedy(
                f"Move {person.name} from {team.name} into {owner.name}.",
                (Change(MOVE_MEMBER, Ref("person", person.id, person.name),
                        f"{person.name} moves from {team.name} to {owner.name}.",
                        to=team_ref(owner), from_team=team_ref(team)),),
            )


def pipeline_pm(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    pipeline = index.pipelines_by_id[finding.subject.id]
    owned = Counter(p.pm_owner_id for p in index.data.pipelines if p.pm_owner_id is not None)
    pms = sorted(
        (
            person for person in index.data.people
            if person.active and person.role == Role.PRODUCT_MANAGER
            and person.id != pipeline.pm_owner_id
            and (index.ml_head is None or index.in_ml_org(person.id))
        ),
        key=lambda person: (owned[person.id], person.name.casefold(), person.id),
    )
    for pm in pms[:CANDIDATES]:
        count = owned[pm.id]
        yield Remedy(
            f"Make {pm.name}, an ML product manager with {count} pipeline"
            f"{'s' if count != 1 else ''}, PM owner of {pipeline.name}.",
            (Change(SET_PM, finding.subject, f"{pm.name} owns {pipeline.name} as its PM.",
                    to=Ref("person", pm.id, pm.name)),),
        )


def single_person_stage(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    pipeline_id, stage = finding.subject.id, finding.stage
    if stage not in STAGE_KIND:
        return  # several stages of a squad at once: no one team of a kind takes them all
    owner = index.teams_by_id[finding.related[0].id]
    kind = STAGE_KIND[stage]
    teams = sorted(
        (t for t in ml_teams_of_kind(index, kind, other_than=owner.id) if members(index, t.id) > 1),
        key=lambda t: (-spare(index, t), t.name.casefold(), t.id),
    )
    for team in teams[:CANDIDATES]:
        changes = [set_cell(index, pipeline_id, team, EngagementRole.OWNER)]
        if owner.kind != TeamKind.PRODUCT_SQUAD:
            # The single-person team keeps working on it, no longer accountable for it.
            changes.append(set_cell(index, pipeline_id, owner, EngagementRole.CONTRIBUTOR))
        yield Remedy(
            f"Hand the {stage} stage of {finding.subject.name} to {team.name}, the "
            f"{kind_label(kind)} team with the most spare members ({members(index, team.id)} "
            f"active, owns {plural(owned_pipelines(index, team.id), 'pipeline')}).",
            tuple(changes),
        )
    # Or staff the owner: a member of the team with the most spare people joins it.
    yield from staff_from_spare(index, owner, kind)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def kind_label(kind: str) -> str:
    return TeamKind(kind).label.lower()


def science_manager(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    scientist = finding.subject.id
    managers = sorted(
        (
            person for person in index.data.people
            if person.active and person.role == Role.SCIENCE_MANAGER and person.id != scientist
            and (index.ml_head is None or index.in_ml_org(person.id))
            and not would_loop(index, scientist, person.id)
            and move_refused(index, scientist, person.id) is None
        ),
        key=lambda p: (index.active_report_count.get(p.id, 0), p.name.casefold(), p.id),
    )
    for manager in managers[:CANDIDATES]:
        count = index.active_report_count.get(manager.id, 0)
        yield Remedy(
            f"Move {finding.subject.name} to {manager.name}, a science manager with {count} "
            f"direct report{'s' if count != 1 else ''}.",
            (set_manager(index, scientist, manager.id),),
        )


def span_wide(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    """A report who manages in a discipline takes a share of the reports of that discipline
    (`DISCIPLINES`): enough for the manager to be within the limit, or half when that is
    more; or all of them. Nobody of another discipline, no product manager, contractor or
    product squad's designer or engineer is moved (`move_refused`)."""
    manager = finding.subject.id
    span_max = index.organisation.span_max
    reports = sorted(
        (index.people_by_id[pid] for pid in index.children.get(manager, ())
         if pid in index.active_ids),
        key=lambda p: (p.name.casefold(), p.id),
    )
    leads = sorted(
        (p for p in reports if p.role in DISCIPLINES and not is_contractor(p)),
        key=lambda p: (ROLE_SENIORITY.get(p.role, len(LEAD_ROLES)),
                       -index.active_report_count.get(p.id, 0), p.name.casefold(), p.id),
    )
    # Enough move for the manager to be within the limit; half, when that is more.
    keep = min(span_max - 1, len(reports) - 1 - (len(reports) - 1) // 2)
    share = len(reports) - 1 - keep
    # Someone whose team is led by a peer of their discipline goes under that peer or stays.
    report_ids = {p.id for p in reports}
    team_lead_of = {}
    for person in reports:
        for membership in index.memberships_by_person.get(person.id, ()):
            team = index.teams_by_id.get(membership.team_id)
            lead_id = team.lead_id if team is not None else None
            if (lead_id in report_ids and lead_id != person.id
                    and person.role in DISCIPLINES.get(index.people_by_id[lead_id].role, ())):
                team_lead_of.setdefault(person.id, lead_id)
    offered = 0
    for lead in leads:
        if offered == CANDIDATES:
            return
        movers = [
            p for p in reports
            if p.id != lead.id and p.role in DISCIPLINES[lead.role]
            and team_lead_of.get(p.id, lead.id) == lead.id
            and move_refused(index, p.id, lead.id) is None
        ]
        if not movers:
            continue
        offered += 1
        splits = [movers[max(len(movers) - share, 0):]]
        if len(movers) > share:
            splits.append(movers)  # the whole discipline under its manager
        for moving in splits:
            yield Remedy(
                f"Split {finding.subject.name}'s {len(reports)} direct reports: {lead.name} "
                f"({Role(lead.role).label.lower()}) leads {len(moving)} of them "
                f"({role_list(moving)}).",
                tuple(set_manager(index, p.id, lead.id) for p in moving),
            )


def role_words(role: str) -> str:
    """A role's label inside a sentence: "scientist", "ML engineer"."""
    label = Role(role).label
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def role_list(people) -> str:
    """`2 scientists and 1 ML engineer`: how many of each role, most first."""
    counts = Counter(role_words(p.role) for p in people)
    parts = [
        f"{count} {label}{'s' if count != 1 else ''}"
        for label, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def team_lead(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    team = index.teams_by_id[finding.subject.id]
    candidates = sorted(
        (index.people_by_id[pid] for pid in index.active_members_by_team.get(team.id, ())),
        key=lambda p: (ROLE_SENIORITY.get(p.role, len(LEAD_ROLES)),
                       -index.active_report_count.get(p.id, 0), p.name.casefold(), p.id),
    )
    for person in candidates[:CANDIDATES]:
        yield Remedy(
            f"Make {person.name} ({Role(person.role).label.lower()}), a member of "
            f"{team.name}, its lead.",
            (Change(SET_LEAD, finding.subject, f"{person.name} leads {team.name}.",
                    to=Ref("person", person.id, person.name)),),
        )


def manager_inactive(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    person = finding.subject.id
    gone = index.manager_of.get(person)
    for above in chain_of(index.manager_of, gone)[1:]:
        if above in index.active_ids:
            if move_refused(index, person, above) is not None:
                return
            yield Remedy(
                f"Move {finding.subject.name} to {index.person_name(above)}, the first active "
                f"manager above {index.person_name(gone)}, who has left.",
                (set_manager(index, person, above),),
            )
            return


def multiple_owners(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    owners = [index.teams_by_id[ref.id] for ref in finding.related]
    for keep in sorted(owners, key=lambda t: (load(index, t), t.name.casefold(), t.id)):
        others = [t for t in owners if t.id != keep.id]
        yield Remedy(
            f"Keep {keep.name} as the only owner of the {finding.stage} stage of "
            f"{finding.subject.name}; the others contribute.",
            tuple(set_cell(index, finding.subject.id, t, EngagementRole.CONTRIBUTOR)
                  for t in others),
        )


def members_outside(index: OrgIndex, finding: Finding) -> Iterator[Remedy]:
    """The members reporting into another org report to the team's lead instead."""
    team = index.teams_by_id[finding.subject.id]
    movers = [ref.id for ref in finding.related
              if ref.id != team.lead_id and not would_loop(index, ref.id, team.lead_id)
              and move_refused(index, ref.id, team.lead_id) is None]
    if movers:
        lead = index.person_name(team.lead_id)
        yield Remedy(
            f"Have the {len(movers)} member{'s' if len(movers) != 1 else ''} of {team.name} "
            f"who report into another org report to its lead, {lead}.",
            tuple(set_manager(index, pid, team.lead_id) for pid in movers),
        )


Proposer = Callable[[OrgIndex, Finding], Iterator[Remedy]]
PROPOSERS: dict[str, Proposer] = {
    "dependency.outside_ml_org": outside_dependency,
    "pipeline.stage_unowned": stage_unowned,
    "pipeline.no_pm": pipeline_pm,
    "pipeline.pm_inactive": pipeline_pm,
    "pipeline.pm_outside_ml_org": pipeline_pm,
    "pipeline.pm_not_product_manager": pipeline_pm,
    "pipeline.single_person_stage": single_person_stage,
    "pipeline.stage_multiple_owners": multiple_owners,
    "scientist.no_science_manager": science_manager,
    "manager.span_wide": span_wide,
    "team.no_lead": team_lead,
    "team.lead_inactive": team_lead,
    "person.manager_inactive": manager_inactive,
    "team.members_outside_ml_org": members_outside,
}


# Ranking --------------------------------------------------------------------------------------


class Design:
    """One design analysed: its index and the findings of each rule (`kept.Analysis` is one
    too), so a change can run again only the rules that read what it changed."""

    def __init__(self, index: OrgIndex, by_rule: FindingsByRule | None = None):
        self.index = index
        self.by_rule = by_rule if by_rule is not None else findings_by_rule(index)

    @cached_property
    def findings(self) -> list[Finding]:
        return in_order(self.by_rule)

    def after(self, changes: Sequence[Change]) -> Design:
        """This design with `changes` made, in memory."""
        index, people = _changed(self.index, changes)
        return Design(index, findings_after_tables(index, self.by_rule, tables_of(changes),
                                                   people))


def judged(design: Design, remedy: Remedy) -> Remedy:
    after = design.after(remedy.changes)
    return replace(remedy, effect=effect_of(design.findings, after.findings), after=after)


def advise(
    index: OrgIndex,
    findings: Sequence[Finding],
    finding: Finding,
    by_rule: FindingsByRule | None = None,
) -> Advice:
    """The remedies that clear `finding`, best first. `by_rule`, the findings of `index` by
    rule when the caller has them (`kept.Analysis.by_rule`), saves judging the design again."""
    return _advise(Design(index, by_rule), finding)


def _advise(design: Design, finding: Finding) -> Advice:
    proposer = PROPOSERS.get(finding.code)
    if proposer is None:
        return Advice(finding, [])
    target = finding.key
    ranked = []
    for order, remedy in enumerate(proposer(design.index, finding)):
        if not endorsed(design.index, remedy):
            continue  # never offered, whatever it would fix
        remedy = judged(design, remedy)
        if any(f.key == target for f in remedy.effect.fixed):
            ranked.append(((remedy.last_resort, remedy.effect.cost, order), remedy))
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


# Every error at once -------------------------------------------------------------------------


@dataclass
class Step:
    finding: Finding
    remedy: Remedy


@dataclass
class Plan:
    steps: list[Step]
    before: list[Finding]
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
    `progress(done, total)` hears of each error judged."""
    current = Design(index, by_rule)
    steps: list[Step] = []
    given_up: set[str] = set()
    # Whether a step was made since the errors given up were last tried: it may have made
    # one clearable (a team given a lead can stand in for one outside the ML org).
    stepped = False
    total = sum(1 for f in current.findings if f.severity == ERROR and f.code in PROPOSERS)
    while True:
        errors = [
            f for f in current.findings
            if f.severity == ERROR and f.code in PROPOSERS and f.key not in given_up
        ]
        if not errors:
            if not (stepped and given_up):
                break
            given_up.clear()
            stepped = False
            continue
        finding = errors[0]
        advice = _advise(current, finding)
        best = next((r for r in advice.remedies if r.effect.cost[0] == 0), None)
        if best is None:
            given_up.add(finding.key)
        else:
            steps.append(Step(finding, best))
            current = best.after
            stepped = True
        if progress is not None:
            progress(min(len(steps) + len(given_up), total), total)
    return Plan(steps, list(findings), current.findings)
