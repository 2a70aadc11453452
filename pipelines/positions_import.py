"""Reading an edited positions.csv (or an HR system's requisitions) against the design, and
applying it (docs/design.md section 4).

Planning is pure: handed the parsed file and the organisation's teams, pipelines and
positions, `plan_positions_import` returns the positions it would create and change and every
problem of the file, each with its line, without queries. `read_positions` loads the design
and plans a file against it; `apply_positions` applies a previewed file all or nothing
through the services of `pipelines.positions`, like every other door.

A row with a `position_id` changes that position of the organisation; a row without one
creates an open position (its team and title are required). A column missing from the file,
or an empty cell of team, title, role, fte or status, leaves that field of an existing
position as it is; an empty level, target_date or pipeline clears it. `status` opens a
cancelled position again or cancels an open one; a file cannot fill a position (it names
nobody) nor empty a filled one.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import transaction

from orgdesign.csvio.format import CsvFileError, Problem, Table, column_letter, read_table
from pipelines import positions as services
from pipelines.matrix_import import _ByName
from pipelines.models import Pipeline, Position, PositionStatus
from teams.actor import Actor
from teams.models import ALLOCATION_MAX, ALLOCATION_MIN, Organisation, Role, Team
from teams.roster_import import ChangedSincePreview, normalise, parse_role

COLUMNS = ("position_id", "team", "title", "role", "level", "fte", "status", "target_date",
           "pipeline")

# Headers that mean each column, besides its own name; matched ignoring case, spaces,
# underscores, hyphens and dots ("REQ_ID" is "Req ID").
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "position_id": ("Position ID", "Requisition ID", "Req ID", "Requisition Number",
                    "Position Number"),
    "team": ("Team Name", "Department", "Department Name"),
    "title": ("Job Title", "Position Title", "Requisition Title"),
    "role": ("Job Family", "Job Role"),
    "level": ("Job Level", "Grade", "Pay Grade"),
    "fte": ("FTE", "FTE Percent"),
    "status": ("Position Status", "Requisition Status"),
    "target_date": ("Target Start Date", "Start Date", "Target Date"),
    "pipeline": ("Pipeline Name",),
}

_HEADER_COLUMN = {
    normalise(header): column
    for column, aliases in HEADER_ALIASES.items()
    for header in (column, *aliases)
}
_STATUS_WORDS = {
    normalise(word): value for value, label in PositionStatus.choices for word in (value, label)
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TITLE_MAX = Position._meta.get_field("title").max_length
_LEVEL_MAX = Position._meta.get_field("level").max_length


class Named(Protocol):
    id: int
    name: str


@dataclass(frozen=True)
class PositionChange:
    """A position the file creates or changes, as the preview lists it."""

    action: str  # create or update
    line: int
    position_id: int | None  # None for a new position
    title: str
    fields: tuple[tuple[str, str, str], ...]  # (header, old, new) as the preview shows them
    values: tuple[tuple[str, object], ...]  # (field, new value) to write: ids for team, pipeline


@dataclass
class PositionsPlan:
    changes: list[PositionChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    unchanged: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # column -> header of the file
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(change.action == "create" for change in self.changes)

    @property
    def updated(self) -> int:
        return sum(change.action == "update" for change in self.changes)

    def fingerprint(self) -> str:
        """Names these exact changes, so that applying can check it does what the preview
        showed even if someone edited the positions in between."""
        text = "\n".join(
            repr((change.action, change.position_id, change.line, change.values,
                  change.fields))
            for change in self.changes
        )
        return hashlib.sha256(text.encode()).hexdigest()


def accepted_headers(column: str) -> str:
    return ", ".join((column, *HEADER_ALIASES[column]))


# Cells -------------------------------------------------------------------------------------


def parse_fte(text: str) -> int:
    """Percent of one FTE, 1 to 100: `60`, `60%`, or a fraction with a decimal point as HR
    systems write it (`0.6`, `1.0`)."""
    refusal = ValueError(
        f"“{text}” is not an FTE; write a whole percent from {ALLOCATION_MIN} to "
        f"{ALLOCATION_MAX} (100 is full time), or a fraction such as 0.5."
    )
    number = text.removesuffix("%").strip()
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise refusal from None
    if not value.is_finite():
        raise refusal
    if "." in number and not text.endswith("%") and value <= 1:
        value *= 100
    if value != value.to_integral_value() or not ALLOCATION_MIN <= value <= ALLOCATION_MAX:
        raise refusal
    return int(value)


def parse_date(text: str) -> datetime.date:
    try:
        if _ISO_DATE.fullmatch(text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"“{text}” is not a date; write it YYYY-MM-DD, such as 2027-03-31.")


def parse_status(text: str) -> str:
    try:
        return _STATUS_WORDS[normalise(text)]
    except KeyError:
        raise ValueError(
            f"“{text}” is not a status; write {', '.join(PositionStatus.values)}."
        ) from None


def parse_position_role(text: str) -> str:
    role = parse_role(text)
    if role not in Role.values:
        raise ValueError(
            f"“{text}” is not a role; write one of {', '.join(Role.values)} (or its name, "
            "such as ML engineer)."
        )
    return role


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# The plan ----------------------------------------------------------------------------------


def _map_header(table: Table, plan: PositionsPlan) -> dict[int, str]:
    """Column positions -> columns of positions.csv; problems for a header that cannot be."""
    positions: dict[int, str] = {}
    for index, header in enumerate(table.header):
        column = _HEADER_COLUMN.get(normalise(header))
        if column is None:
            if header:
                plan.ignored_columns.append(header)
            elif any(len(row.cells) > index and row.cells[index] for row in table.rows):
                plan.problems.append(Problem(
                    "This column has values but no header.", line=1, column=column_letter(index)
                ))
            continue
        if column in plan.columns:
            plan.problems.append(Problem(
                f"“{plan.columns[column]}” and “{header}” both mean {column}; keep one.",
                line=1, column=header,
            ))
            continue
        plan.columns[column] = header
        positions[index] = column
    people_headers = {"external id", "employee id", "name", "full name", "email"}
    if "position_id" not in plan.columns and people_headers & {normalise(h) for h in table.header}:
        plan.problems.append(Problem(
            "This looks like a list of people, not positions.csv: import it with the people "
            "form.", line=1,
        ))
    elif not plan.columns:
        plan.problems.append(Problem(
            "The file has none of positions.csv's columns: the first row must be its header "
            f"({','.join(COLUMNS)}).", line=1,
        ))
    elif "position_id" not in plan.columns:
        missing = [column for column in ("team", "title") if column not in plan.columns]
        if missing:
            plan.problems.append(Problem(
                f"Without a position_id column every row is a new position, which needs "
                f"{' and '.join(missing)}: add {'those columns' if len(missing) > 1 else 'it'}"
                f" ({'; '.join(accepted_headers(column) for column in missing)}).", line=1,
            ))
    return positions


def plan_positions_import(
    table: Table,
    *,
    teams: Iterable[Named],
    pipelines: Iterable[Named],
    positions: Iterable[Position],
) -> PositionsPlan:
    """What `table` would create and change, given the organisation's teams, pipelines and
    positions (any objects with the fields of `Position`)."""
    plan = PositionsPlan()
    header = _map_header(table, plan)
    if plan.problems:
        return plan
    by_team, by_pipeline = _ByName(teams), _ByName(pipelines)
    team_names = {team.id: team.name for team in by_team.exact.values()}
    pipeline_names = {pipeline.id: pipeline.name for pipeline in by_pipeline.exact.values()}
    existing = {position.id: position for position in positions}
    seen: dict[int, int] = {}  # position id -> line
    width = len(table.header)
    for row in table.rows:
        plan.rows += 1
        if any(row.cells[width:]):
            plan.problems.append(Problem(
                f"This row has {len(row.cells)} cells but the header names {width} columns; "
                "check for a separator inside a value that is not quoted.", line=row.line,
            ))
            continue
        cells = {column: row.cells[index] if index < len(row.cells) else ""
                 for index, column in header.items()}
        problems: list[Problem] = []

        def refuse(column: str, message: str, line=row.line, problems=problems) -> None:
            problems.append(Problem(message, line=line, column=plan.columns.get(column, "")))

        # Each cell on its own: the values a row gives, for the columns it fills.
        given: dict[str, object] = {}
        for column, text in cells.items():
            if column == "position_id":
                continue
            try:
                if column == "team":
                    if text:
                        team = by_team.find(text)
                        if team is None:
                            raise ValueError(f"No team is named “{text}” in this organisation.")
                        given["team"] = team.id
                elif column == "pipeline":
                    pipeline = by_pipeline.find(text) if text else None
                    if text and pipeline is None:
                        raise ValueError(f"No pipeline is named “{text}” in this organisation.")
                    given["pipeline"] = pipeline.id if pipeline else None
                elif column == "title":
                    if len(text) > _TITLE_MAX:
                        raise ValueError(f"A title has at most {_TITLE_MAX} characters.")
                    if text:
                        given["title"] = text
                elif column == "level":
                    if len(text) > _LEVEL_MAX:
                        raise ValueError(f"A level has at most {_LEVEL_MAX} characters.")
                    given["level"] = text
                elif column == "role" and text:
                    given["role"] = parse_position_role(text)
                elif column == "fte" and text:
                    given["fte"] = parse_fte(text)
                elif column == "status" and text:
                    given["status"] = parse_status(text)
                elif column == "target_date":
                    given["target_date"] = parse_date(text) if text else None
            except ValueError as error:
                refuse(column, str(error))

        position = None
        if id_text := cells.get("position_id", ""):
            position_id = int(id_text) if id_text.isdigit() else None
            position = existing.get(position_id)
            if position is None:
                refuse("position_id", f"No position of this organisation has the id "
                                      f"“{id_text}”; leave it empty to open a new position.")
            elif position.id in seen:
                refuse("position_id", f"Position {position.id} is also on line "
                                      f"{seen[position.id]}; keep one row.")
                position = None
            else:
                seen[position.id] = row.line

        if position is None:
            if not id_text:
                for column in ("team", "title"):
                    if column not in given and not any(
                        problem.column == plan.columns.get(column) for problem in problems
                    ):
                        refuse(column, f"A new position needs a {column}.")
                if given.get("status", PositionStatus.OPEN) != PositionStatus.OPEN:
                    refuse("status", "A new position is open: leave its status empty or write "
                                     "open (fill it on the positions page, naming who).")
            if problems:
                plan.problems += problems
                continue
            values = {"team": given["team"], "title": given["title"],
                      **{name: value for name, value in given.items()
                         if name not in ("team", "title", "status")}}
            shown = tuple(
                (plan.columns[name], "", team_names[value] if name == "team"
                 else pipeline_names.get(value, "") if name == "pipeline" else _shown(value))
                for name, value in values.items() if _shown(value)
            )
            plan.changes.append(PositionChange(
                action="create", line=row.line, position_id=None, title=given["title"],
                fields=shown, values=tuple(values.items()),
            ))
            continue

        # A change of an existing position: what differs, and whether it may.
        current = {
            "team": position.team_id, "title": position.title, "role": position.role,
            "level": position.level, "fte": position.fte, "status": position.status,
            "target_date": position.target_date, "pipeline": position.pipeline_id,
        }
        changed = {name: value for name, value in given.items() if current[name] != value}
        status = changed.get("status")
        if status is not None and PositionStatus.FILLED in (status, position.status):
            refuse("status", (
                "A file cannot fill a position (it names nobody): fill it on the positions "
                "page." if status == PositionStatus.FILLED else
                f"Position {position.id} is filled: it stays filled; open a new position "
                "instead."
            ))
        was_or_will_be_open = PositionStatus.OPEN in (position.status, status)
        if not was_or_will_be_open:
            for column in ("team", "fte"):
                if column in changed:
                    refuse(column, f"Position {position.id} is {position.status}: its team and "
                                   "FTE are part of the record; open a new position instead.")
        if problems:
            plan.problems += problems
            continue
        if not changed:
            plan.unchanged += 1
            continue

        def words(name: str, value) -> str:
            if name == "team":
                return team_names.get(value, "")
            if name == "pipeline":
                return pipeline_names.get(value, "")
            return _shown(value)

        plan.changes.append(PositionChange(
            action="update", line=row.line, position_id=position.id,
            title=given.get("title", position.title),
            fields=tuple((plan.columns[name], words(name, current[name]), words(name, value))
                         for name, value in changed.items()),
            values=tuple(changed.items()),
        ))
    return plan


# Reading against the design and applying a previewed file ---------------------------------


class ImportRefused(Exception):
    """A service refused a row the plan let through (the design changed under it): nothing
    was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


def positions_state(organisation: Organisation):
    """The teams, the pipelines and the positions: three queries."""
    teams = list(Team.objects.filter(organisation=organisation).only("id", "name",
                                                                     "organisation_id"))
    pipelines = list(
        Pipeline.objects.filter(organisation=organisation).only("id", "name", "organisation_id")
    )
    positions = list(Position.objects.filter(organisation=organisation).order_by("id"))
    return teams, pipelines, positions


def read_positions(data: bytes, organisation: Organisation) -> tuple[PositionsPlan, str]:
    """The plan of an upload against the current design, and how the file was read."""
    plan, read_as, _ = _read_positions(data, organisation)
    return plan, read_as


def _read_positions(data: bytes, organisation: Organisation):
    try:
        table = read_table(data)
    except CsvFileError as error:
        return PositionsPlan(problems=[Problem(error.message, line=error.line)]), "", None
    state = positions_state(organisation)
    teams, pipelines, positions = state
    plan = plan_positions_import(table, teams=teams, pipelines=pipelines, positions=positions)
    read_as = f"{table.encoding}, {table.separator_name}-separated, {len(table.rows)} rows"
    return plan, read_as, state


def _apply_change(change: PositionChange, organisation: Organisation, teams: dict,
                  pipelines: dict, positions: dict, actor: Actor) -> None:
    values = dict(change.values)
    for name, objects in (("team", teams), ("pipeline", pipelines)):
        if name in values:
            values[name] = objects.get(values[name]) if values[name] is not None else None
    if change.action == "create":
        services.position_create(organisation=organisation, actor=actor, **values)
        return
    position = positions[change.position_id]
    status = values.pop("status", None)
    # Open first when the position opens again, cancel last: only an open position changes
    # team or FTE.
    if status == PositionStatus.OPEN:
        services.position_reopen(position=position, actor=actor)
    if values:
        services.position_update(position=position, actor=actor, **values)
    if status == PositionStatus.CANCELLED:
        services.position_cancel(position=position, actor=actor)


@transaction.atomic
def apply_positions(
    *, organisation: Organisation, data: bytes, fingerprint: str, actor: Actor
) -> tuple[PositionsPlan, str]:
    """Apply a previewed positions file, all or nothing: a plan with problems comes back
    with nothing written; `ChangedSincePreview` is raised, nothing written, when the file
    would now make other changes than the preview showed (`PositionsPlan.fingerprint`), and
    `ImportRefused` when a service refuses a row."""
    plan, read_as, state = _read_positions(data, organisation)
    if plan.problems:
        return plan, read_as
    if plan.fingerprint() != fingerprint:
        raise ChangedSincePreview
    teams, pipelines, positions = state
    teams = {team.id: team for team in teams}
    pipelines = {pipeline.id: pipeline for pipeline in pipelines}
    positions = {position.id: position for position in positions}
    for change in plan.changes:
        try:
            _apply_change(change, organisation, teams, pipelines, positions, actor)
        except ValidationError as error:
            raise ImportRefused(
                [Problem(message, line=change.line) for message in error.messages]
            ) from error
    return plan, read_as
