"""A scientist or ML engineer alone in a product squad (seed 000)."""

from __future__ import annotations

from collections.abc import Iterator

from orgdesign.analysis.declare import INFO, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    person_ref,
    team_ref,
)
from orgdesign.analysis.orgdata import OrgIndex
from teams.models import Role, TeamKind


def scientist_isolation_rules(index: OrgIndex) -> Iterator[Finding]:
    ml_roles = (Role.SCIENTIST, Role.ML_ENGINEER)
    for team in index.data.teams:
        if team.kind != TeamKind.PRODUCT_SQUAD:
            continue
        ml_people = [
            index.people_by_id[pid]
            for pid in index.active_members_by_team.get(team.id, ())
            if index.people_by_id[pid].role in ml_roles
        ]
        if len(ml_people) != 1:
            continue
        person = ml_people[0]
        # Someone whose main team is a central team has ML peers there; the squad is a
        # part-time allocation.
        main_team = index.main_team(person.id)
        if main_team is None or main_team.id != team.id:
            continue
        role = Role(person.role).label.lower()
        yield Finding(
            "scientist.isolated",
            person_ref(person),
            f"{person.name} ({role}) is the only scientist or ML engineer in {team.name}, "
            "their main team.",
            (team_ref(team),),
        )


# The declarations.

ISOLATED = CatalogueEntry(
    "scientist.isolated", INFO, "Only scientist or ML engineer in a squad",
    "Not every squad is ML-savvy: a scientist or ML engineer alone in a squad has no ML "
    "peers, projects fail on unclear scoping, and retention suffers (seed 000).",
    "Add a second scientist or ML engineer to the squad, or give the person a central "
    "home team and make the squad a part-time allocation.",
    subject="person",
)

RULE = Rule(
    scientist_isolation_rules,
    reads={"teams", "memberships", "people"},
    codes=(ISOLATED,),
)
