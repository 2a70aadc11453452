"""People who work in or for the ML org but have no manager, and what that leaves unplaced."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from orgdesign.analysis.declare import EVERYTHING, WARNING, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    count_people,
    name_list,
    person_ref,
    team_ref,
)
from orgdesign.analysis.orgdata import OrgIndex, PersonRow
from orgdesign.analysis.reporting import steps_below
from pipelines.models import Pipeline
from teams.models import SPECIALISED_KINDS, Person, Team, WorkerType


@dataclass
class ChainBreaks:
    """Who `person.no_manager` looks at, and the teams and pipelines that a missing manager
    leaves unplaced (neither inside nor outside the ML org)."""

    people: set[int]
    # The person at whom a chain stops short of the top: the people, teams and pipelines
    # (through their lead or PM) below them that cannot be placed.
    stranded_people: dict[int, set[int]]
    stranded_teams: dict[int, list[Team]]
    stranded_pipelines: dict[int, list[Pipeline]]


def chain_breaks(index: OrgIndex, roots: set[int] | None = None) -> ChainBreaks:
    """The people who work in or for the ML org (docs/design.md section 2): people in it, members of
    its teams, leads of specialised teams and of teams engaged in pipelines, and PM owners;
    plus, with an ML head, the people at whom the chain of one of them breaks off.

    Given `roots` (tops of solid-line chains, `OrgIndex.root_of`), only the people below
    them are looked at: what is stranded at a root is all below it, so the breaks at those
    roots are the same as in the whole design's."""
    if roots is None:
        teams, below = index.data.teams, None
    else:
        # The top's chains reach the top: nothing breaks there, and it is most of everyone.
        below = set()
        for root in roots - {index.top_of_organisation}:
            below.update(steps_below(index.children, root))
        # In the design's order, as the whole design's run lists them.
        order = index.team_positions
        teams = sorted((index.teams_by_id[team_id] for person_id in below
                        for team_id in index.led_team_ids_by_person.get(person_id, ())),
                       key=lambda team: order[team.id])
    teams_to_place = [
        team
        for team in teams
        if team.lead_id is not None
        and (team.kind in SPECIALISED_KINDS or index.engagements_by_team.get(team.id))
    ]
    if below is None:
        people = set(index.ml_steps) | index.pm_owner_ids
        people.update(team.lead_id for team in teams_to_place)
        for team in index.data.teams:
            if index.team_in_ml_org(team):
                people.update(index.active_members_by_team.get(team.id, ()))
    else:
        in_ml_org = index.teams_in_ml_org
        people = below & (index.ml_steps.keys() | index.pm_owner_ids)
        people.update(team.lead_id for team in teams_to_place)
        people.update(
            person_id for person_id in below & index.active_ids
            if any(in_ml_org.get(membership.team_id)
                   for membership in index.memberships_by_person.get(person_id, ()))
        )

    breaks = ChainBreaks(people, defaultdict(set), defaultdict(list), defaultdict(list))
    # A chain through the ML head reaches the top: only the others can break (and a remedy
    # tried judges this again on every change, so the ML org's thousands are skipped).
    for person_id in people.difference(index.ml_steps):
        # A contractor's line runs to their vendor: where it stops says nothing of the ML org.
        if getattr(index.people_by_id.get(person_id), "worker_type", "") == WorkerType.CONTRACTOR:
            continue
        root = index.chain_break(person_id)
        if root is not None and root != person_id:
            breaks.stranded_people[root].add(person_id)
            people.add(root)
    for team in teams_to_place:
        root = index.chain_break(team.lead_id)
        if root is not None and team.lead_id in index.active_ids:
            breaks.stranded_teams[root].append(team)
    pipelines = index.data.pipelines if roots is None else [
        pipeline for pm_id in below.intersection(index.pipelines_by_pm)
        for pipeline in index.pipelines_by_pm[pm_id]
    ]
    for pipeline in pipelines:
        root = index.chain_break(pipeline.pm_owner_id) if pipeline.pm_owner_id else None
        if root is not None:
            breaks.stranded_pipelines[root].append(pipeline)
    return breaks


def no_manager_message(person: Person | PersonRow, breaks: ChainBreaks) -> str:
    teams = sorted(team.name for team in breaks.stranded_teams.get(person.id, ()))
    pipelines = sorted(p.name for p in breaks.stranded_pipelines.get(person.id, ()))
    below = len(breaks.stranded_people.get(person.id, ()))
    message = f"{person.name} has no manager"
    if not (teams or pipelines or below):
        return message + "."
    if below:
        work = "works" if below == 1 else "work"
        message += (
            f", and the reporting lines of {count_people(below)} who {work} for the ML org stop "
            "there"
        )
    unplaced = [*(f"team {name}" for name in teams), *(f"pipeline {name}'s PM" for name in
                                                        pipelines)]
    if unplaced:
        message += f", so {name_list(unplaced)} cannot be placed inside or outside the ML org"
    return message + "."


def no_manager_rules(index: OrgIndex, only: set[int] | None = None) -> Iterator[Finding]:
    """`person.no_manager`: apart from the other person rules, because who it looks at
    depends on the teams engaged in pipelines (`chain_breaks`), so a cell of the matrix
    changes it. Of the tops of chains in `only` alone when given (`Rule.per`: only a
    chain's top can have no manager, and what it says depends on its chain alone)."""
    top = index.top_of_organisation
    breaks = chain_breaks(index, only)
    for person_id in breaks.people:
        if only is not None and person_id not in only:
            continue
        person = index.people_by_id.get(person_id)
        if person is None or not person.active or person.manager_id is not None:
            continue
        if person.worker_type == WorkerType.CONTRACTOR:
            continue  # managed by their vendor
        if person.id != top:
            yield Finding(
                "person.no_manager",
                person_ref(person),
                no_manager_message(person, breaks),
                tuple(team_ref(team) for team in breaks.stranded_teams.get(person.id, ())),
            )


# The declarations.

NO_MANAGER = CatalogueEntry(
    "person.no_manager", WARNING, "No manager",
    "Everyone below the top of the organisation needs a reporting line for priorities, "
    "reviews and growth; and where a line stops short of the top (an ML head whose "
    "manager is missing from the HR data, say), nobody can tell whether the people and "
    "teams below it are inside the ML org. Contractors report to their vendor and are "
    "left out.",
    "Set the person's solid-line manager (usually a gap in the HR data to fix at the "
    "source).",
    subject="person",
)

RULE = Rule(
    no_manager_rules,
    reads=EVERYTHING,
    per="root",
    codes=(NO_MANAGER,),
)
