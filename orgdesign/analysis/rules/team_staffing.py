"""Members of a specialised team of the ML org whose own line runs into another org."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

from orgdesign.analysis.changes import (
    move_refused,
)
from orgdesign.analysis.declare import ERROR, EVERYTHING, WARNING, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    person_ref,
    team_ref,
)
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.proposals import (
    Remedy,
    set_manager,
    would_loop,
)
from pipelines.models import EngagementRole
from teams.models import SPECIALISED_KINDS, WorkerType


def team_staffing_rules(index: OrgIndex, only: set[int] | None = None) -> Iterator[Finding]:
    """Employees of a specialised team in the ML org whose own solid line runs into another
    org (seed 002's ML infrastructure staffed from the company's Infrastructure org). Product
    squads hold every role they need under their own managers (seed 000), and contractors
    report to their vendor: neither is flagged."""
    if index.ml_head is None:
        return
    teams = index.teams_among(only)
    judged = {team.id for team in teams}
    fte_by_team: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for membership in index.data.memberships:
        if membership.team_id in judged and membership.person_id in index.active_ids:
            fte_by_team[membership.team_id].append((membership.person_id, membership.allocation))
    for team in teams:
        if team.kind not in SPECIALISED_KINDS or index.team_in_ml_org(team) is not True:
            continue
        members = fte_by_team.get(team.id, ())
        outside = [
            (pid, fte) for pid, fte in members
            if index.in_ml_org(pid) is False
            and index.people_by_id[pid].worker_type != WorkerType.CONTRACTOR
        ]
        if not outside:
            continue
        outside_fte, team_fte = sum(fte for _, fte in outside), sum(fte for _, fte in members)
        share = outside_fte * 100 // team_fte
        heads = Counter(org_head_above(index, pid) for pid, _ in outside)
        (head_id, _), others = heads.most_common(1)[0], len(heads) - 1
        into = f"{index.person_name(head_id)}'s organisation"
        if others:
            into += f" and {others} other organisation{'s' if others > 1 else ''}"
        people = sorted(
            (index.people_by_id[pid] for pid, _ in outside),
            key=lambda person: (person.name.casefold(), person.id),
        )
        if len(members) == 1:
            who = f"The only active member of {team.name} (100% of its FTE) reports"
        elif len(outside) == len(members):
            who = f"All {len(members)} active members of {team.name} (100% of its FTE) report"
        else:
            verb = "reports" if len(outside) == 1 else "report"
            who = (f"{len(outside)} of the {len(members)} active members of {team.name} "
                   f"({share}% of its FTE) {verb}")
        message = f"{who} into {into} instead of the ML org"
        # Half the team's capacity or more under other management, on work it owns or does
        # for a pipeline: seed 002's critical dependency, inside the team.
        critical = outside_fte * 2 >= team_fte and any(
            engagement.role != EngagementRole.SERVICE
            for engagement in index.engagements_by_team.get(team.id, ())
        )
        if critical:
            message += ", and the team works on pipelines"
        yield Finding(
            "team.members_outside_ml_org",
            team_ref(team),
            message + ".",
            tuple(person_ref(person) for person in people),
            severity=ERROR if critical else "",
        )


def org_head_above(index: OrgIndex, person_id: int) -> int:
    """The head of the organisation someone outside the ML org reports into: the highest
    person on their chain off the ML head's chain; for someone who reports straight to a
    person on that chain (the CEO, say), that person; for the CEO themself, the CEO."""
    if index.above_ml_head(person_id):
        return person_id
    head = index.outside_org_head(person_id)
    if head == person_id:
        return index.manager_of.get(person_id) or person_id
    return head


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


# The declarations.

MEMBERS_OUTSIDE_ML_ORG = CatalogueEntry(
    "team.members_outside_ml_org", WARNING, "Team staffed from outside the ML org",
    "Members whose manager sits in another org (e.g. a company Infrastructure org) get "
    "their priorities, reviews and promotions there, so ML work is deprioritised even "
    "though the team's lead is in the ML org (seed 002). When they hold half the team's "
    "capacity or more on pipeline work, the team is a critical dependency under other "
    "management: an error. Product squads and contractors are left out.",
    "Move the members' reporting lines into the ML org, or replace them with people "
    "managed inside it.",
    subject="team",
    remedies=(members_outside,),
)

RULE = Rule(
    team_staffing_rules,
    reads=EVERYTHING,
    per="team",
    codes=(MEMBERS_OUTSIDE_ML_ORG,),
)
