"""The whole of one design as plain lists, and the derived facts every analysis shares.

`OrgData` is what the loader hands in (one list per table). `OrgIndex` derives, once per
call, the maps the findings engine, the structure classifier and the matrix page need:
who is active, who reports to whom, who is in the ML org and how deep. Nothing here
queries the database: tests build unsaved model instances with explicit ids.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from orgdesign.analysis.reporting import chain_of, children_of, steps_below
from pipelines.models import Engagement, Pipeline
from teams.models import SPECIALISED_KINDS, Membership, Organisation, Person, Team


@dataclass(slots=True)
class PersonRow:
    """The fields of a person the analyses read. The loader builds these instead of model
    instances because a whole-company sync brings tens of thousands of people, and building
    a model instance costs ten times more; tests may hand in unsaved `Person`s instead."""

    id: int
    name: str
    role: str
    manager_id: int | None
    active: bool
    external_id: str = ""
    worker_type: str = "employee"
    level: str = ""


@dataclass(slots=True)
class MembershipRow:
    id: int
    person_id: int
    team_id: int
    allocation: int


@dataclass(slots=True)
class EngagementRow:
    id: int
    pipeline_id: int
    team_id: int
    role: str
    effort: int | None = None


@dataclass(slots=True)
class PositionRow:
    """An open position, as the analyses read it: planned capacity of its team (filled and
    cancelled ones are not loaded: a filled seat is its person now)."""

    id: int
    team_id: int
    title: str
    role: str
    level: str
    fte: int
    pipeline_id: int | None = None


@dataclass
class OrgData:
    organisation: Organisation
    people: Sequence[Person | PersonRow]
    teams: Sequence[Team]
    memberships: Sequence[Membership | MembershipRow]
    pipelines: Sequence[Pipeline]
    engagements: Sequence[Engagement | EngagementRow]
    # The open positions (`PositionRow`, or unsaved open `Position`s in tests).
    positions: Sequence = ()
    # The software catalog's entities (`catalog.CatalogRow`), when it has one.
    catalog: Sequence = ()


def main_team_of(allocations: Iterable[tuple[int, Team]]) -> Team | None:
    """A person's main team, from their (allocation, team) pairs: the largest allocation;
    ties go to a specialised team, then to the lower id."""
    best = None
    best_key = None
    for allocation, team in allocations:
        key = (-allocation, team.kind not in SPECIALISED_KINDS, team.id)
        if best_key is None or key < best_key:
            best, best_key = team, key
    return best


# The tables of the design each fact of an `OrgIndex` is derived from: a fact whose tables a
# change leaves alone outlives it (`OrgIndex.changed`), instead of being derived again from
# tens of thousands of people. "reporting" is the people's solid lines, apart from the rest
# of their rows: a manager moved leaves who is active, and so each team's members, as they
# were. Every fact of `OrgIndex` is here (tests/test_remedy_simulation.py).
FACT_TABLES = {
    "people_by_id": {"people", "reporting"},
    "person_positions": {"people"},
    "active_ids": {"people"},
    "manager_of": {"reporting"},
    "children": {"reporting"},
    "active_report_count": {"people", "reporting"},
    "ml_head": {"people", "reporting"},
    "ml_steps": {"people", "reporting"},
    "head_chain": {"people", "reporting"},
    "top_of_organisation": {"people", "reporting"},
    "root_of": {"reporting"},
    "teams_by_id": {"teams"},
    "led_team_ids_by_person": {"teams"},
    "memberships_by_person": {"memberships"},
    "active_members_by_team": {"memberships", "people"},
    "active_allocation_by_team": {"memberships", "people"},
    "open_positions_by_team": {"positions"},
    "pipelines_by_id": {"pipelines"},
    "pm_owner_ids": {"pipelines"},
    "pipelines_by_pm": {"pipelines"},
    "teams_in_ml_org": {"people", "reporting", "teams"},
    "team_positions": {"teams"},
    "pipeline_positions": {"pipelines"},
    "engagement_positions": {"engagements"},
    "engagements_by_pipeline": {"engagements"},
    "engagements_by_team": {"engagements"},
    # The catalog's rows never change in memory; what they match (teams, pipelines) may.
    "catalog": {"teams", "pipelines"},
}


class OrgIndex:
    """Lookups over an `OrgData`, each computed on first use and kept (memoised)."""

    def __init__(self, data: OrgData):
        self.data = data
        self.organisation = data.organisation

    def changed(self, data: OrgData, tables: set[str]) -> OrgIndex:
        """The index of `data`, this design with only `tables` changed: the facts already
        derived from the other tables are kept."""
        index = OrgIndex(data)
        vars(index).update(
            (name, value) for name, value in vars(self).items()
            if name in FACT_TABLES and not FACT_TABLES[name] & tables
        )
        return index

    def moved(
        self, data: OrgData, moves: dict[int, int | None]
    ) -> tuple[OrgIndex, set[int]] | None:
        """The index of `data`, this design with only the solid-line managers of `moves`
        changed (person id -> new manager id), and the people whose own facts changed (the
        moved, everyone below them, their old and new managers). The reporting facts are
        updated around the moves instead of derived again from everyone. None when that
        cannot be done so (no ML head, a move of the head or someone above them, a loop):
        derive the design afresh; so too when the moves make someone else the top of the
        organisation."""
        head_chain = set(self.head_chain)
        if self.ml_head is None:
            return None
        index = self.changed(data, {"reporting"})
        manager_of = dict(self.manager_of)
        children = dict(self.children)
        counts = defaultdict(int, self.active_report_count)
        root_of = dict(self.root_of)
        ml_steps = dict(self.ml_steps)
        people_by_id = dict(self.people_by_id)
        affected: set[int] = set()
        trees_changed = False
        for person_id, manager_id in moves.items():
            old = manager_of.get(person_id)
            if person_id in head_chain or person_id not in root_of:
                return None
            if manager_id is not None and manager_id not in root_of:
                return None
            below = steps_below(children, person_id)
            if manager_id in below:
                return None  # a loop: never proposed, and refused by the services
            manager_of[person_id] = manager_id
            if old is not None:
                children[old] = [child for child in children.get(old, ()) if child != person_id]
            if manager_id is not None:
                children[manager_id] = [*children.get(manager_id, ()), person_id]
            if person_id in self.active_ids:
                if old is not None:
                    counts[old] -= 1
                if manager_id is not None:
                    counts[manager_id] += 1
            root = root_of[manager_id] if manager_id is not None else person_id
            if root != root_of.get(person_id):
                trees_changed = True
            for below_id in below:
                root_of[below_id] = root
                ml_steps.pop(below_id, None)
            if manager_id in ml_steps:
                start = ml_steps[manager_id] + 1
                ml_steps.update((below_id, start + steps) for below_id, steps in below.items())
            affected.update(below)
            affected.update(pid for pid in (old, manager_id) if pid is not None)
        for person_id in moves:
            # The rows keep their places (`changes.Rows`): no walk through everyone.
            people_by_id[person_id] = data.people[self.person_positions[person_id]]
        vars(index).update(
            people_by_id=people_by_id, manager_of=manager_of, children=children,
            active_report_count=counts, root_of=root_of, ml_steps=ml_steps,
            # Untouched by moves below the ML head's chain.
            active_ids=self.active_ids, ml_head=self.ml_head, head_chain=self.head_chain,
        )
        if not trees_changed:
            # Moves within their trees leave every tree's size, and so the top, as it was.
            index.top_of_organisation = self.top_of_organisation
        elif index.top_of_organisation != self.top_of_organisation:
            # A new top places everyone outside the ML org anew, not only those moved.
            return None
        if "teams_in_ml_org" in vars(self):
            # Only a team led by someone moved (or below them) can change sides.
            in_ml_org = dict(self.teams_in_ml_org)
            for lead_id in affected.intersection(self.led_team_ids_by_person):
                for team_id in self.led_team_ids_by_person[lead_id]:
                    in_ml_org[team_id] = index._team_in_ml_org(index.teams_by_id[team_id])
            index.teams_in_ml_org = in_ml_org
        return index, affected

    def cells_changed(self, before: OrgIndex, pipelines: Iterable[int],
                      teams: Iterable[int]) -> None:
        """Derive the cells by pipeline and by team from those of `before`, when only the
        cells of `pipelines` and `teams` changed: their lists are read again from this
        design's cells, the others kept (a cell tried in memory, not 5,000 cells sorted
        again)."""
        pipelines, teams = set(pipelines), set(teams)
        by_pipeline = defaultdict(list, before.engagements_by_pipeline)
        by_team = defaultdict(list, before.engagements_by_team)
        for key in pipelines:
            by_pipeline.pop(key, None)
        for key in teams:
            by_team.pop(key, None)
        for engagement in self.data.engagements:
            if engagement.pipeline_id in pipelines:
                by_pipeline[engagement.pipeline_id].append(engagement)
            if engagement.team_id in teams:
                by_team[engagement.team_id].append(engagement)
        self.engagements_by_pipeline = by_pipeline
        self.engagements_by_team = by_team

    def with_engagements(self, engagements: Sequence[Engagement | EngagementRow]) -> OrgIndex:
        """The index of the same design with other cells: the facts already derived that do
        not read the cells (reporting chains, the ML org, memberships) are kept, not derived
        again from tens of thousands of people."""
        return self.changed(replace(self.data, engagements=engagements), {"engagements"})

    # People and reporting lines ------------------------------------------------------------

    @cached_property
    def catalog(self):
        """The software catalog matched to the design (`catalog.CatalogIndex`)."""
        from orgdesign.analysis.catalog import CatalogIndex

        return CatalogIndex(self)

    @cached_property
    def people_by_id(self) -> dict[int, Person]:
        return {person.id: person for person in self.data.people}

    @cached_property
    def person_positions(self) -> dict[int, int]:
        """Where each person's row is in `data.people`: a change in memory replaces a row in
        its place (`changes.design_after`)."""
        return {person.id: position for position, person in enumerate(self.data.people)}

    @cached_property
    def active_ids(self) -> set[int]:
        return {person.id for person in self.data.people if person.active}

    @cached_property
    def manager_of(self) -> dict[int, int | None]:
        return {person.id: person.manager_id for person in self.data.people}

    @cached_property
    def children(self) -> dict[int, list[int]]:
        return children_of(self.manager_of)

    @cached_property
    def active_report_count(self) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for person in self.data.people:
            if person.active and person.manager_id is not None:
                counts[person.manager_id] += 1
        return counts

    @cached_property
    def ml_head(self) -> Person | None:
        """The active ML head, or None when the organisation has none."""
        head = self.people_by_id.get(self.organisation.ml_head_id)
        return head if head is not None and head.active else None

    @cached_property
    def ml_steps(self) -> dict[int, int]:
        """Everyone in the ML org, with their steps below the ML head (the head is 0).

        Chains follow solid lines only and pass through people who have left.
        """
        if self.ml_head is None:
            return {}
        return steps_below(self.children, self.ml_head.id)

    @cached_property
    def head_chain(self) -> list[int]:
        """The ML head and everyone above them, up to the top of the organisation."""
        return chain_of(self.manager_of, self.ml_head.id) if self.ml_head is not None else []

    @cached_property
    def top_of_organisation(self) -> int | None:
        """The active person without a manager who has the most active people under them (ties: the
        lower id), the CEO of a company synced from HR, whatever the ML head: an ML head whose
        manager is missing from the HR data is not the top (`person.no_manager` flags them).
        """
        # Active people only: an HR system keeps everyone who ever left.
        active = self.active_ids
        sizes = Counter(root for person, root in self.root_of.items() if person in active)
        tops = [
            root for root in sizes
            if root in self.active_ids and self.manager_of.get(root) is None
        ]
        return min(tops, key=lambda root: (-sizes[root], root)) if tops else None

    @cached_property
    def root_of(self) -> dict[int, int]:
        """The top of each person's solid-line chain (inactive people included). Someone on a
        loop of corrupt data has no top and is left out."""
        roots = [
            person_id
            for person_id, manager_id in self.manager_of.items()
            if manager_id is None or manager_id not in self.manager_of
        ]
        result: dict[int, int] = {}
        for root in roots:
            for person_id in steps_below(self.children, root):
                result[person_id] = root
        return result

    def in_ml_org(self, person_id: int | None) -> bool | None:
        """True when the ML head is on the person's chain, False when the chain reaches the
        top of the organisation without passing the head, and None when nobody can tell: no
        active ML head, or a chain that stops at someone without a manager who is not the top
        (a break in the HR data, which `person.no_manager` flags; not an outside dependency).
        """
        if self.ml_head is None or person_id is None or person_id not in self.manager_of:
            return None
        if person_id in self.ml_steps:
            return True
        top = self.top_of_organisation
        return False if top is not None and self.root_of.get(person_id) == top else None

    def chain_break(self, person_id: int) -> int | None:
        """Where the person's chain stops short of the top of the organisation, or None when it
        reaches the top (or nobody can tell, without an ML head)."""
        if self.in_ml_org(person_id) is not None or self.ml_head is None:
            return None
        return self.root_of.get(person_id)

    def above_ml_head(self, person_id: int) -> bool:
        """On the ML head's own chain above the head (the CEO, say): not in the ML org, yet
        not in another organisation either."""
        return person_id in self.head_chain and person_id != self.head_chain[0]

    def outside_org_head(self, person_id: int) -> int:
        """The highest person on `person_id`'s chain who is not on the ML head's chain.

        That is the head of the organisation someone sits in instead of the ML org.
        """
        head_chain = set(self.head_chain)
        highest = person_id
        for member in chain_of(self.manager_of, person_id):
            if member in head_chain:
                break
            highest = member
        return highest

    # Teams and memberships -----------------------------------------------------------------

    @cached_property
    def teams_by_id(self) -> dict[int, Team]:
        return {team.id: team for team in self.data.teams}

    def teams_among(self, only: set[int] | None) -> list[Team]:
        """The teams of `only`, or all of them (a rule judging some teams: `Rule.per`)."""
        if only is None:
            return self.data.teams
        return [self.teams_by_id[team_id] for team_id in only if team_id in self.teams_by_id]

    @cached_property
    def memberships_by_person(self) -> dict[int, list[Membership]]:
        result: dict[int, list[Membership]] = defaultdict(list)
        for membership in self.data.memberships:
            result[membership.person_id].append(membership)
        return result

    @cached_property
    def active_members_by_team(self) -> dict[int, list[int]]:
        result: dict[int, list[int]] = defaultdict(list)
        for membership in self.data.memberships:
            if membership.person_id in self.active_ids:
                result[membership.team_id].append(membership.person_id)
        return result

    @cached_property
    def open_positions_by_team(self) -> dict[int, list]:
        """Each team's open positions (its "+N open" seats), in the order loaded."""
        result: dict[int, list] = defaultdict(list)
        for position in self.data.positions:
            result[position.team_id].append(position)
        return result

    @cached_property
    def active_allocation_by_team(self) -> dict[int, int]:
        """Each team's capacity in percent of one FTE: its active members' allocations."""
        result: dict[int, int] = defaultdict(int)
        for membership in self.data.memberships:
            if membership.person_id in self.active_ids:
                result[membership.team_id] += membership.allocation
        return result

    def team_in_ml_org(self, team: Team) -> bool | None:
        """A team is in the ML org when its active lead is. None (neither in nor out) without
        an active lead, without an active ML head, or when the lead's chain is broken."""
        if self.teams_by_id.get(team.id) is team:
            return self.teams_in_ml_org[team.id]
        return self._team_in_ml_org(team)

    def _team_in_ml_org(self, team: Team) -> bool | None:
        if team.lead_id is None or team.lead_id not in self.active_ids:
            return None
        return self.in_ml_org(team.lead_id)

    @cached_property
    def team_positions(self) -> dict[int, int]:
        """Where each team is in `data.teams`."""
        return {team.id: position for position, team in enumerate(self.data.teams)}

    @cached_property
    def pipeline_positions(self) -> dict[int, int]:
        """Where each pipeline is in `data.pipelines`."""
        return {pipeline.id: position for position, pipeline in enumerate(self.data.pipelines)}

    @cached_property
    def teams_in_ml_org(self) -> dict[int, bool | None]:
        """`team_in_ml_org` of each of the design's teams, by id: the rules ask it hundreds of
        thousands of times while a plan tries its remedies."""
        return {team.id: self._team_in_ml_org(team) for team in self.data.teams}

    @cached_property
    def led_team_ids_by_person(self) -> dict[int, list[int]]:
        result: dict[int, list[int]] = defaultdict(list)
        for team in self.data.teams:
            if team.lead_id is not None:
                result[team.lead_id].append(team.id)
        return result

    def main_team(self, person_id: int) -> Team | None:
        return main_team_of(
            (membership.allocation, self.teams_by_id[membership.team_id])
            for membership in self.memberships_by_person.get(person_id, ())
            if membership.team_id in self.teams_by_id
        )

    # Pipelines and engagements -------------------------------------------------------------

    @cached_property
    def pipelines_by_id(self) -> dict[int, Pipeline]:
        return {pipeline.id: pipeline for pipeline in self.data.pipelines}

    def pipelines_among(self, only: set[int] | None) -> list[Pipeline]:
        """The pipelines of `only`, or all of them (a rule judging some pipelines:
        `Rule.per`)."""
        if only is None:
            return self.data.pipelines
        return [self.pipelines_by_id[pipeline_id] for pipeline_id in only
                if pipeline_id in self.pipelines_by_id]

    @cached_property
    def engagements_by_pipeline(self) -> dict[int, list[Engagement]]:
        result: dict[int, list[Engagement]] = defaultdict(list)
        for engagement in self.data.engagements:
            result[engagement.pipeline_id].append(engagement)
        return result

    @cached_property
    def engagement_positions(self) -> dict[tuple[int, int], list[int]]:
        """Where each cell (pipeline, team) is in `data.engagements`: a change in memory
        takes a cell out at its place (`changes.SetCell`)."""
        result: dict[tuple[int, int], list[int]] = defaultdict(list)
        for position, engagement in enumerate(self.data.engagements):
            result[(engagement.pipeline_id, engagement.team_id)].append(position)
        return result

    @cached_property
    def engagements_by_team(self) -> dict[int, list[Engagement]]:
        result: dict[int, list[Engagement]] = defaultdict(list)
        for engagement in self.data.engagements:
            result[engagement.team_id].append(engagement)
        return result

    @cached_property
    def pm_owner_ids(self) -> set[int]:
        return set(self.pipelines_by_pm)

    @cached_property
    def pipelines_by_pm(self) -> dict[int, list[Pipeline]]:
        """Each PM owner's pipelines."""
        result: dict[int, list[Pipeline]] = defaultdict(list)
        for pipeline in self.data.pipelines:
            if pipeline.pm_owner_id is not None:
                result[pipeline.pm_owner_id].append(pipeline)
        return result

    def person_name(self, person_id: int | None) -> str:
        person = self.people_by_id.get(person_id)
        return person.name if person is not None else "someone unknown"
