"""Reading an edited matrix.csv against the design: which cells it would change.

Planning is pure: handed the parsed file and the organisation's pipelines, teams and
engagements, `plan_matrix_import` returns the cell changes and the problems, without queries.
`read_matrix` loads the design and plans a file against it; `apply_matrix` applies a previewed
file all or nothing through `pipelines.services.engagement_set`, like every other door.

Only what the file names changes. Pipelines (rows) and teams (columns) missing from it are
left as they are, so a filtered export imports back; an empty cell of a named pipeline and
team clears that engagement. `pm_owner` and `lifecycle` are informational: ignored here,
edited on the pipeline's page.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from django.db import transaction

from orgdesign.csvio.format import CsvFileError, Problem, Table, column_letter, read_table
from pipelines import services
from pipelines.models import Engagement, EngagementRole, Pipeline
from teams.actor import Actor
from teams.models import Organisation, Team
from teams.roster_import import ChangedSincePreview

PIPELINE_COLUMN = "pipeline"
INFORMATIONAL_COLUMNS = ("pm_owner", "lifecycle")


class Named(Protocol):
    id: int
    name: str


@dataclass(frozen=True)
class CellChange:
    line: int
    column: str  # the spreadsheet letter of the team's column
    pipeline_id: int
    pipeline_name: str
    team_id: int
    team_name: str
    old: str  # a role, or "" for no engagement
    new: str


@dataclass
class MatrixPlan:
    changes: list[CellChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    pipelines: int = 0  # rows of the file
    teams: int = 0  # team columns of the file
    unchanged: int = 0  # cells of the file that already hold their role
    ignored_columns: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Names these exact changes, so that applying can check it does what the preview
        showed even if someone edited the matrix in between."""
        text = "\n".join(
            f"{c.pipeline_id}:{c.team_id}:{c.old}:{c.new}"
            for c in sorted(self.changes, key=lambda c: (c.pipeline_id, c.team_id))
        )
        return hashlib.sha256(text.encode()).hexdigest()


class _ByName:
    """Lookup by exact name, else by name ignoring case when that names only one."""

    def __init__(self, items: Iterable[Named]):
        self.exact: dict[str, Named] = {}
        folded: dict[str, list[Named]] = defaultdict(list)
        for item in items:
            self.exact[item.name] = item
            folded[item.name.casefold()].append(item)
        self.folded = {name: found[0] for name, found in folded.items() if len(found) == 1}

    def find(self, name: str) -> Named | None:
        return self.exact.get(name) or self.folded.get(name.casefold())


def parse_role(text: str) -> str | None:
    """The engagement role a cell names ("" for none), or None when it names no role."""
    role = text.casefold()
    return role if role == "" or role in EngagementRole.values else None


def _header_key(header: str) -> str:
    # Like `teams.services.check_team_name`, which keeps teams from taking these names.
    return header.strip().casefold()


def plan_matrix_import(
    table: Table,
    *,
    pipelines: Iterable[Named],
    teams: Iterable[Named],
    roles: Mapping[tuple[int, int], str],
) -> MatrixPlan:
    """The cells `table` would change, given the current `roles` by (pipeline id, team id)."""
    plan = MatrixPlan()
    keys = [_header_key(header) for header in table.header]
    if PIPELINE_COLUMN not in keys:
        message = "The file has no pipeline column: the first row must be matrix.csv's header."
        if {"external_id", "employee id", "name"} & set(keys):
            message += " This looks like a list of people: import it with the people form."
        plan.problems.append(Problem(message, line=1))
        return plan
    pipeline_position = keys.index(PIPELINE_COLUMN)

    team_columns: dict[int, Named] = {}  # position -> team
    seen_teams: dict[int, str] = {}  # team id -> column letter
    by_team_name = _ByName(teams)
    for position, header in enumerate(table.header):
        letter = column_letter(position)
        if position == pipeline_position:
            continue
        if keys[position] in INFORMATIONAL_COLUMNS:
            plan.ignored_columns.append(header)
            continue
        if keys[position] == PIPELINE_COLUMN:
            plan.problems.append(Problem(
                "A second pipeline column; keep one.", line=1, column=letter
            ))
            continue
        if not header:
            if any(len(row.cells) > position and row.cells[position] for row in table.rows):
                plan.problems.append(Problem(
                    "This column has values but no team name in the header.",
                    line=1, column=letter,
                ))
            continue
        team = by_team_name.find(header)
        if team is None:
            plan.problems.append(Problem(
                f"No team is named “{header}” in this organisation.", line=1, column=letter
            ))
        elif team.id in seen_teams:
            plan.problems.append(Problem(
                f"{team.name} has two columns ({seen_teams[team.id]} and {letter}); keep one.",
                line=1, column=letter,
            ))
        else:
            seen_teams[team.id] = letter
            team_columns[position] = team
    plan.teams = len(team_columns)

    by_pipeline_name = _ByName(pipelines)
    seen_pipelines: dict[int, int] = {}  # pipeline id -> line
    width = len(table.header)
    for row in table.rows:
        if any(row.cells[width:]):
            plan.problems.append(Problem(
                f"This row has {len(row.cells)} cells but the header names {width} columns; "
                "check for a separator inside a value that is not quoted.",
                line=row.line,
            ))
            continue
        name = row.cells[pipeline_position] if pipeline_position < len(row.cells) else ""
        pipeline_letter = column_letter(pipeline_position)
        if not name:
            plan.problems.append(Problem(
                "This row has no pipeline name.", line=row.line, column=pipeline_letter
            ))
            continue
        pipeline = by_pipeline_name.find(name)
        if pipeline is None:
            plan.problems.append(Problem(
                f"No pipeline is named “{name}” in this organisation.",
                line=row.line, column=pipeline_letter,
            ))
            continue
        if pipeline.id in seen_pipelines:
            plan.problems.append(Problem(
                f"{pipeline.name} is also on line {seen_pipelines[pipeline.id]}; keep one row.",
                line=row.line, column=pipeline_letter,
            ))
            continue
        seen_pipelines[pipeline.id] = row.line
        for position, team in team_columns.items():
            text = row.cells[position] if position < len(row.cells) else ""
            new = parse_role(text)
            letter = column_letter(position)
            if new is None:
                plan.problems.append(Problem(
                    f"“{text}” is not a role of {team.name} in {pipeline.name}; write "
                    f"{', '.join(EngagementRole.values)}, or leave the cell empty.",
                    line=row.line, column=letter,
                ))
                continue
            old = roles.get((pipeline.id, team.id), "")
            if old == new:
                plan.unchanged += 1
            else:
                plan.changes.append(CellChange(
                    line=row.line, column=letter, pipeline_id=pipeline.id,
                    pipeline_name=pipeline.name, team_id=team.id, team_name=team.name,
                    old=old, new=new,
                ))
    plan.pipelines = len(seen_pipelines)
    return plan


# Reading against the design and applying a previewed file --------------------------------------


def matrix_state(organisation: Organisation):
    """The pipelines, the teams and the roles of the cells: three queries."""
    pipelines = list(
        Pipeline.objects.filter(organisation=organisation).only("id", "name", "organisation_id")
    )
    teams = list(Team.objects.filter(organisation=organisation).only("id", "name",
                                                                      "organisation_id"))
    roles = {
        (pipeline_id, team_id): role
        for pipeline_id, team_id, role in Engagement.objects.filter(
            pipeline__organisation=organisation
        ).values_list("pipeline_id", "team_id", "role")
    }
    return pipelines, teams, roles


def read_matrix(data: bytes, organisation: Organisation) -> tuple[MatrixPlan, str]:
    """The plan of an upload against the current design, and how the file was read."""
    plan, read_as, _, _ = _read_matrix(data, organisation)
    return plan, read_as


def _read_matrix(data: bytes, organisation: Organisation):
    try:
        table = read_table(data)
    except CsvFileError as error:
        return MatrixPlan(problems=[Problem(error.message, line=error.line)]), "", {}, {}
    pipelines, teams, roles = matrix_state(organisation)
    plan = plan_matrix_import(table, pipelines=pipelines, teams=teams, roles=roles)
    read_as = f"{table.encoding}, {table.separator_name}-separated, {len(table.rows)} rows"
    return plan, read_as, {p.id: p for p in pipelines}, {t.id: t for t in teams}


@transaction.atomic
def apply_matrix(
    *, organisation: Organisation, data: bytes, fingerprint: str, actor: Actor
) -> tuple[MatrixPlan, str]:
    """Apply a previewed matrix file, all or nothing: a plan with problems comes back with
    nothing written, and `ChangedSincePreview` is raised, nothing written, when the file
    would now change other cells than the preview showed (`MatrixPlan.fingerprint`)."""
    plan, read_as, pipelines, teams = _read_matrix(data, organisation)
    if plan.problems:
        return plan, read_as
    if plan.fingerprint() != fingerprint:
        raise ChangedSincePreview
    for change in plan.changes:
        services.engagement_set(
            pipeline=pipelines[change.pipeline_id], team=teams[change.team_id],
            role=change.new or None, actor=actor,
        )
    return plan, read_as
