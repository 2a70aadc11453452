"""The kinds of change a remedy is made of, each one class that both tries itself on a design
in memory (`simulate`, for `design_after`) and writes itself into a stored design (`apply`,
through the services: `orgdesign.scenarios.fixes` hands it a `Writer`), and says when the seeds
would never endorse it (`refused`). A kind whose change only plan mode sees (`plan`: a position
opened, which no finding counts until it is filled) is judged in plan mode
(`orgdesign.analysis.plan`).

What the seeds endorse is structural, not a matter of scores (see `orgdesign.analysis.remedies`):
a required stage is dropped only from an incubating pipeline, never `data` or `modeling`;
contractors are never moved; of a product squad's members only scientists and ML engineers
are, and only under a science manager; product managers and managers are never moved under
another team's manager. A position is never opened in a team outside the ML org (seed 002: "all
of its critical dependencies under the same management"): that would grow the dependency.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from orgdesign.analysis.finding import Ref
from orgdesign.analysis.orgdata import EngagementRow, OrgIndex, PositionRow
from orgdesign.analysis.reporting import chain_of
from pipelines.models import Lifecycle, Stage
from teams.models import Role, TeamKind, WorkerType

# The kinds of change, by the name a remedy's JSON gives them.
SET_MANAGER = "set_manager"  # subject person, to person
SET_LEAD = "set_lead"  # subject team, to person
SET_CELL = "set_cell"  # subject pipeline, to team, role ("" clears the cell)
SET_PM = "set_pm"  # subject pipeline, to person
DROP_STAGE = "drop_stage"  # subject pipeline, stage
MOVE_MEMBER = "move_member"  # subject person, from_team, to team
OPEN_POSITION = "open_position"  # subject team, to pipeline (or None), title, role, fte

# What the seeds endorse (see the module's docstring).
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
    # A position opened: its title and FTE (percent of one FTE); `role` its role.
    title: str = ""
    fte: int | None = None

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "action": self.action,
            "subject": self.subject.as_dict(),
            "to": self.to.as_dict() if self.to is not None else None,
            "words": self.words,
        }
        if self.action in (SET_CELL, OPEN_POSITION):
            result["role"] = self.role
        if self.action == OPEN_POSITION:
            result["title"], result["fte"] = self.title, self.fte
        if self.stage:
            result["stage"] = self.stage
        if self.from_team is not None:
            result["from_team"] = self.from_team.as_dict()
        return result


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


def open_refused(index: OrgIndex, team_id: int | None, fte: int | None) -> str | None:
    """Why a position may never be opened in the team, or None when it may."""
    team = index.teams_by_id.get(team_id)
    if team is None:
        return "no team to open a position in"
    if fte is None or not 1 <= fte <= 100:
        return "a position is 1% to 100% of one FTE"
    if index.team_in_ml_org(team) is False:
        return (
            f"{team.name} is outside the ML org: a position there would grow a dependency "
            "under other management"
        )
    return None


class Writer(Protocol):
    """What a change needs to write itself into a stored design: the rows its references
    name there (refused when they are gone) and one service call per kind of edit."""

    def person(self, ref: Ref) -> Any: ...
    def team(self, ref: Ref) -> Any: ...
    def pipeline(self, ref: Ref) -> Any: ...
    def set_manager(self, person: Any, manager: Any) -> None: ...
    def set_lead(self, team: Any, lead: Any) -> None: ...
    def set_pm(self, pipeline: Any, pm: Any) -> None: ...
    def set_stages(self, pipeline: Any, stages: list[str]) -> None: ...
    def set_cell(self, pipeline: Any, team: Any, role: str | None) -> None: ...
    def move_member(self, person: Any, source: Any, target: Any) -> None: ...
    def open_position(self, team: Any, *, title: str, role: str, fte: int,
                      pipeline: Any) -> None: ...


class Rows:
    """The rows of a design being changed in memory: lists copied from the design (the
    people's on the first person edited), each row replaced, never edited in place, so the
    design itself is left as it was."""

    def __init__(self, index: OrgIndex):
        data = index.data
        # Most changes leave the 50,000 people as they are.
        self.people, self.teams = data.people, list(data.teams)
        self.own_people = False
        self.memberships, self.pipelines = list(data.memberships), list(data.pipelines)
        self.engagements, self.positions = list(data.engagements), list(data.positions)
        self.at = {
            "people": index.person_positions,
            "teams": index.team_positions,
            "pipelines": index.pipeline_positions,
        }
        # The people a change of a lead, a PM or a membership touches: the one given and the
        # one relieved of it.
        self.touched: set[int | None] = set()
        self.index = index
        # The cells (pipeline, team) these changes gave a role; whether the design's cells
        # are still where they were (cells added after them move none).
        self.cells_set: set[tuple[int, int | None]] = set()
        self.cells_in_place = True

    def position(self, table: str, row_id: int | None) -> int:
        if row_id not in self.at[table]:
            raise ValueError(f"No row {row_id} to change.")
        return self.at[table][row_id]

    def row(self, table: str, row_id: int | None):
        return getattr(self, table)[self.position(table, row_id)]

    def edit(self, table: str, row_id: int | None, **values) -> None:
        if table == "people" and not self.own_people:
            self.people, self.own_people = list(self.people), True
        rows = getattr(self, table)
        i = self.position(table, row_id)
        rows[i] = replace_row(rows[i], **values)


def _id(ref: Ref | None) -> int | None:
    return ref.id if ref is not None else None


class Kind:
    """A kind of change. `table` is the table of the design it writes (the names of
    `orgdata.FACT_TABLES`); `records` the model whose copied rows a scenario records before
    the change writes them (`orgdesign.scenarios.fixes.record_copied`), none for a row it
    creates; `plan` whether only plan mode sees the change, so it is judged in plan mode
    (`remedies.Design.after`)."""

    action = ""
    table = ""
    records = ""
    plan = False

    def simulate(self, rows: Rows, change: Change) -> None:
        raise NotImplementedError

    def apply(self, change: Change, write: Writer) -> None:
        raise NotImplementedError

    def refused(self, index: OrgIndex, change: Change) -> str | None:
        """Why the change may never be proposed, or None when the seeds would endorse it."""
        return None

    def touches(self, change: Change) -> tuple[tuple[int | None, ...], tuple[int | None, ...]]:
        """The teams and the pipelines whose own rows, members, cells or positions the change
        writes (`Touched`); a manager moved touches none of them."""
        return (), ()


class SetManager(Kind):
    """A person's solid line moves to another manager (`to`)."""

    action, table, records = SET_MANAGER, "reporting", "person"

    def simulate(self, rows: Rows, change: Change) -> None:
        rows.edit("people", change.subject.id, manager_id=_id(change.to))

    def apply(self, change: Change, write: Writer) -> None:
        write.set_manager(write.person(change.subject),
                          write.person(change.to) if change.to else None)

    def refused(self, index: OrgIndex, change: Change) -> str | None:
        return move_refused(index, change.subject.id, _id(change.to))


class SetLead(Kind):
    """A team gets another lead (`to`)."""

    action, table, records = SET_LEAD, "teams", "team"

    def simulate(self, rows: Rows, change: Change) -> None:
        rows.touched.update((rows.row("teams", change.subject.id).lead_id, _id(change.to)))
        rows.edit("teams", change.subject.id, lead_id=_id(change.to))

    def touches(self, change):
        return (change.subject.id,), ()

    def apply(self, change: Change, write: Writer) -> None:
        write.set_lead(write.team(change.subject), write.person(change.to))


class SetPm(Kind):
    """A pipeline gets another PM owner (`to`)."""

    action, table, records = SET_PM, "pipelines", "pipeline"

    def simulate(self, rows: Rows, change: Change) -> None:
        rows.touched.update((rows.row("pipelines", change.subject.id).pm_owner_id,
                             _id(change.to)))
        rows.edit("pipelines", change.subject.id, pm_owner_id=_id(change.to))

    def touches(self, change):
        return (), (change.subject.id,)

    def apply(self, change: Change, write: Writer) -> None:
        write.set_pm(write.pipeline(change.subject), write.person(change.to))


class DropStage(Kind):
    """A stage is no longer required of a pipeline."""

    action, table, records = DROP_STAGE, "pipelines", "pipeline"

    @staticmethod
    def without(stages, stage: str) -> list[str]:
        return [each for each in stages or () if each != stage]

    def simulate(self, rows: Rows, change: Change) -> None:
        stages = rows.row("pipelines", change.subject.id).required_stages
        rows.edit("pipelines", change.subject.id,
                  required_stages=self.without(stages, change.stage))

    def touches(self, change):
        return (), (change.subject.id,)

    def apply(self, change: Change, write: Writer) -> None:
        pipeline = write.pipeline(change.subject)
        write.set_stages(pipeline, self.without(pipeline.required_stages, change.stage))

    def refused(self, index: OrgIndex, change: Change) -> str | None:
        return drop_refused(index, change.subject.id, change.stage)


class SetCell(Kind):
    """The cell of a pipeline (subject) and a team (`to`) holds `role`; "" clears it."""

    action, table, records = SET_CELL, "engagements", "cell"

    def simulate(self, rows: Rows, change: Change) -> None:
        pipeline_id, team_id = change.subject.id, _id(change.to)
        rows.position("pipelines", pipeline_id), rows.position("teams", team_id)
        # Most remedies engage a team where it was not: nothing to take out of 5,000 cells.
        # A cell of the design, while no cell was taken out before it, is taken out at its
        # place; otherwise every cell is looked at.
        pair = (pipeline_id, team_id)
        at = rows.index.engagement_positions.get(pair, ())
        if at and rows.cells_in_place:
            for position in sorted(at, reverse=True):
                del rows.engagements[position]
            rows.cells_in_place = False
        elif at or pair in rows.cells_set:
            rows.engagements = [e for e in rows.engagements
                                if e.team_id != team_id or e.pipeline_id != pipeline_id]
            rows.cells_in_place = False
        if change.role:
            rows.cells_set.add((pipeline_id, team_id))
            # An id no stored cell has: the engine never reads it.
            rows.engagements.append(EngagementRow(-len(rows.engagements) - 1, pipeline_id,
                                                  team_id, change.role))

    def touches(self, change):
        return (_id(change.to),), (change.subject.id,)

    def apply(self, change: Change, write: Writer) -> None:
        write.set_cell(write.pipeline(change.subject), write.team(change.to),
                       change.role or None)


class MoveMember(Kind):
    """A person's membership moves from one team (`from_team`) to another (`to`), at the
    same allocation."""

    action, table, records = MOVE_MEMBER, "memberships", "person"

    def simulate(self, rows: Rows, change: Change) -> None:
        subject_id, to_id = change.subject.id, _id(change.to)
        rows.touched.add(subject_id)
        from_id = change.from_team.id
        rows.position("teams", to_id)
        rows.memberships = [
            replace_row(m, team_id=to_id) if (m.person_id, m.team_id) == (subject_id, from_id)
            else m
            for m in rows.memberships
        ]

    def touches(self, change):
        return (change.from_team.id, _id(change.to)), ()

    def apply(self, change: Change, write: Writer) -> None:
        write.move_member(write.person(change.subject), write.team(change.from_team),
                          write.team(change.to))

    def refused(self, index: OrgIndex, change: Change) -> str | None:
        team = index.teams_by_id.get(_id(change.to))
        return move_refused(index, change.subject.id, team.lead_id if team else None)


class OpenPosition(Kind):
    """A new open position (a seat to hire) in a team (subject), for a pipeline (`to`, or
    none), with a `title`, a `role` and an `fte`. Planned capacity, which only plan mode
    counts (each open position a placeholder member of its team): judged there."""

    action, table, records, plan = OPEN_POSITION, "positions", "", True

    def simulate(self, rows: Rows, change: Change) -> None:
        team_id = change.subject.id
        rows.position("teams", team_id)
        # An id no stored position has (its placeholder's, negative, no person's).
        position_id = max((p.id for p in rows.positions), default=0) + 1
        rows.positions.append(PositionRow(position_id, team_id, change.title, change.role, "",
                                          change.fte, _id(change.to)))

    def touches(self, change):
        return (change.subject.id,), (_id(change.to),)

    def apply(self, change: Change, write: Writer) -> None:
        write.open_position(write.team(change.subject), title=change.title, role=change.role,
                            fte=change.fte,
                            pipeline=write.pipeline(change.to) if change.to else None)

    def refused(self, index: OrgIndex, change: Change) -> str | None:
        return open_refused(index, change.subject.id, change.fte)


KINDS: dict[str, Kind] = {
    kind.action: kind for kind in (SetManager(), SetLead(), SetCell(), SetPm(), DropStage(),
                                   MoveMember(), OpenPosition())
}
ACTIONS = tuple(KINDS)


def design_after(index: OrgIndex, changes: Sequence[Change]) -> OrgIndex:
    """The index of the design with `changes` made, in memory; the rows it does not change
    are shared with `index`, which is left as it was."""
    return _changed(index, changes)[0]


@dataclass(frozen=True)
class Touched:
    """What changes wrote, for the rules that judge again only what a change can reach
    (`findings.findings_after_tables`): the people whose own facts changed, when that is
    known (else None), and the teams and pipelines whose own rows, members, cells or
    positions changed."""

    people: set[int] | None
    teams: frozenset[int]
    pipelines: frozenset[int]
    # The design before the changes: what they took away is found there.
    before: OrgIndex | None = field(default=None, compare=False, repr=False)


def _touched(changes: Sequence[Change], people: set[int] | None,
             before: OrgIndex) -> Touched:
    teams: set[int | None] = set()
    pipelines: set[int | None] = set()
    for change in changes:
        some_teams, some_pipelines = KINDS[change.action].touches(change)
        teams.update(some_teams)
        pipelines.update(some_pipelines)
    return Touched(people, frozenset(teams - {None}), frozenset(pipelines - {None}), before)


def _changed(index: OrgIndex, changes: Sequence[Change]) -> tuple[OrgIndex, Touched]:
    """`design_after`, and what the changes touched (`Touched`): the people whose own facts
    changed are known for managers moved when the index could follow them
    (`OrgIndex.moved`), and for the other kinds."""
    rows = Rows(index)
    for change in changes:
        KINDS[change.action].simulate(rows, change)
    data = replace(index.data, people=rows.people, teams=rows.teams,
                   memberships=rows.memberships, pipelines=rows.pipelines,
                   engagements=rows.engagements, positions=rows.positions)
    managers = [change for change in changes if change.action == SET_MANAGER]
    if managers and len(managers) == len(changes):
        moved = index.moved(data, {c.subject.id: c.to.id if c.to else None for c in changes})
        if moved is not None:
            return moved[0], _touched(changes, moved[1], index)
    after = index.changed(data, tables_of(changes))
    touched = _touched(changes, None if managers else rows.touched - {None}, index)
    if SET_CELL in {change.action for change in changes}:
        after.cells_changed(index, touched.pipelines, touched.teams)
    return after, touched


def tables_of(changes: Sequence[Change]) -> set[str]:
    return {KINDS[change.action].table for change in changes}


def judged_in_plan(changes: Sequence[Change]) -> bool:
    """Whether only plan mode sees one of the changes (a position opened)."""
    return any(KINDS[change.action].plan for change in changes)


def refusal(index: OrgIndex, change: Change) -> str | None:
    """Why the change may never be proposed, or None when the seeds would endorse it."""
    return KINDS[change.action].refused(index, change)


def replace_row(row, **values):
    row = copy.copy(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row
