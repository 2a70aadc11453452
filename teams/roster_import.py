"""Reading people.csv, or the roster an HR system exports, into the records of the bulk sync.

This module only reads: it decodes the file (see `orgdesign.csvio.format.read_table`), maps
the headers HR systems use onto the fields of people.csv, and converts each cell to the type
`teams.sync.sync_people` takes. A cell that cannot be converted (an allocation "abc", an
active flag "maybe") is a problem with its line number here, and so is an external id given
twice (the sync refuses it too, but by position in the batch). Everything that needs the
design (unknown manager or team, cycles, allocation bounds, roles) is the sync's to refuse,
so the import follows the same rules as the API.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.db import transaction

from orgdesign.csvio.format import CsvFileError, Problem, Table, read_table
from teams.actor import Actor
from teams.models import Organisation, Role, WorkerType
from teams.sync import SyncResult, sync_people

REQUIRED_COLUMNS = ("external_id", "name")

# Headers that mean each column, besides its own name; matched ignoring case, spaces,
# underscores, hyphens and dots ("EMPLOYEE_ID" is "Employee ID").
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("Employee ID", "Employee Number", "Worker ID"),
    "name": ("Full Name", "Display Name"),
    "email": ("Work Email", "Email Address", "E-mail"),
    "title": ("Job Title",),
    "role": (),
    "manager_external_id": ("Supervisor ID", "Manager ID", "Manager Employee ID"),
    "active": ("Status", "Employment Status"),
    "teams": (),
    "department": ("Dept", "Department Name", "Org Unit"),
    "worker_type": ("Worker Type", "Employee Type", "Employment Type", "Contract Type"),
    "level": ("Job Level", "Grade", "Pay Grade"),
}

TRUE_WORDS = ("true", "yes", "y", "1", "active")
FALSE_WORDS = ("false", "no", "n", "0", "inactive", "terminated")


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", text).casefold().split())


_HEADER_COLUMN = {
    normalise(header): column
    for column, aliases in HEADER_ALIASES.items()
    for header in (column, *aliases)
}
# A role by its value ("ml_engineer") or its label ("ML engineer"), in any case.
_ROLE_WORDS = {
    normalise(word): value for value, label in Role.choices for word in (value, label)
}
_ACTIVE_WORDS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
# A worker type by its value or label, or by the contract kinds HR exports use (docs/design.md
# section 4), in any case.
EMPLOYEE_WORDS = ("employee", "full time", "part time", "salaried", "hourly")
CONTRACTOR_WORDS = ("contractor", "contingent worker", "vendor", "temp")
_WORKER_TYPE_WORDS = {
    **dict.fromkeys(EMPLOYEE_WORDS, WorkerType.EMPLOYEE.value),
    **dict.fromkeys(CONTRACTOR_WORDS, WorkerType.CONTRACTOR.value),
}


@dataclass
class Roster:
    """The records of a roster file, each with its line, or the problems that stop it."""

    records: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # column of people.csv -> header
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    encoding: str = ""
    separator: str = ""

    def line_of(self, index: int) -> int | None:
        return self.lines[index] if 0 <= index < len(self.lines) else None

    def header_of(self, column: str) -> str:
        return self.columns.get(column, column)


def accepted_headers(column: str) -> str:
    return ", ".join((column, *HEADER_ALIASES[column]))


def parse_active(text: str) -> bool:
    try:
        return _ACTIVE_WORDS[text.casefold()]
    except KeyError:
        raise ValueError(
            f"“{text}” is not a yes or no; write one of {', '.join(TRUE_WORDS)} or "
            f"{', '.join(FALSE_WORDS)}."
        ) from None


def parse_worker_type(text: str) -> str:
    """employee or contractor, from the value, the label or an HR contract kind
    ("Full-Time", "Contingent Worker"...), in any case."""
    try:
        return _WORKER_TYPE_WORDS[normalise(text)]
    except KeyError:
        raise ValueError(
            f"“{text}” is not a worker type; write Employee or Contractor."
        ) from None


def parse_role(text: str) -> str:
    """The role's value when the text names one by value or label; else the text as it is,
    which the sync refuses with the list of roles."""
    return _ROLE_WORDS.get(normalise(text), text)


def parse_teams(text: str) -> list[dict]:
    """`Team A:60;Team B:40` as [{"team": "Team A", "allocation": 60}, ...]."""
    teams: list[dict] = []
    seen: set[str] = set()
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue  # a trailing ";"
        name, colon, allocation = part.rpartition(":")
        name = name.strip()
        if not colon or not name:
            raise ValueError(
                f"“{part}” is not a team and an allocation; write teams as "
                "Team A:60;Team B:40."
            )
        number = allocation.strip().removesuffix("%").strip()
        try:
            percent = int(number)
        except ValueError:
            raise ValueError(
                f"the allocation of {name} is “{allocation.strip()}”, not a whole percent."
            ) from None
        if name in seen:
            raise ValueError(f"{name} is listed twice.")
        seen.add(name)
        teams.append({"team": name, "allocation": percent})
    return teams


def _map_header(table: Table, roster: Roster) -> dict[int, str]:
    """Which position holds which column; problems for missing or doubled columns."""
    positions: dict[int, str] = {}
    for position, header in enumerate(table.header):
        column = _HEADER_COLUMN.get(normalise(header))
        if column is None:
            if header:
                roster.ignored_columns.append(header)
            continue
        if column in roster.columns:
            roster.problems.append(Problem(
                f"Columns “{roster.columns[column]}” and “{header}” both give {column}; "
                "keep one of them.",
                line=1, column=header,
            ))
            continue
        roster.columns[column] = header
        positions[position] = column
    missing = [column for column in REQUIRED_COLUMNS if column not in roster.columns]
    for column in missing:
        roster.problems.append(Problem(
            f"The file has no {column} column (accepted headers: {accepted_headers(column)}).",
            line=1,
        ))
    if missing and "pipeline" in {normalise(header) for header in table.header}:
        roster.problems.append(Problem(
            "This looks like a matrix.csv: import it with the matrix form instead.", line=1
        ))
    return positions


def _record(cells: list[str], positions: dict[int, str], line: int, roster: Roster) -> dict:
    record: dict = {}
    for position, column in positions.items():
        text = cells[position] if position < len(cells) else ""
        header = roster.columns[column]
        try:
            if column == "active":
                if text:
                    record["active"] = parse_active(text)
            elif column == "role":
                if text:
                    record["role"] = parse_role(text)
            elif column == "worker_type":
                if text:
                    record["worker_type"] = parse_worker_type(text)
            elif column == "teams":
                record["teams"] = parse_teams(text)
            else:
                record[column] = text
        except ValueError as error:
            roster.problems.append(Problem(f"{header}: {error}", line=line, column=header))
    if "external_id" in record and not record["external_id"]:
        header = roster.columns["external_id"]
        roster.problems.append(Problem(
            f"{header} is empty: every person needs the id the HR system knows them by.",
            line=line, column=header,
        ))
    return record


def parse_roster(data: bytes) -> Roster:
    """The people of a roster file as sync records; `problems` says what stops the import."""
    roster = Roster()
    try:
        table = read_table(data)
    except CsvFileError as error:
        roster.problems.append(Problem(error.message, line=error.line))
        return roster
    roster.encoding, roster.separator = table.encoding, table.separator_name
    positions = _map_header(table, roster)
    if roster.problems:
        return roster
    width = len(table.header)
    first_line: dict[str, int] = {}  # external id -> the line it first appears on
    for row in table.rows:
        if any(row.cells[width:]):
            roster.problems.append(Problem(
                f"This row has {len(row.cells)} cells but the header names {width} columns; "
                "check for a separator inside a value that is not quoted.",
                line=row.line,
            ))
            continue
        record = _record(row.cells, positions, row.line, roster)
        external_id = record.get("external_id")
        if external_id and external_id in first_line:
            # The sync refuses this too, but by position in the batch; say it by line.
            header = roster.columns["external_id"]
            roster.problems.append(Problem(
                f"{external_id} is also on line {first_line[external_id]}: each person "
                "may appear once.",
                line=row.line, column=header,
            ))
        elif external_id:
            first_line[external_id] = row.line
        roster.records.append(record)
        roster.lines.append(row.line)
    return roster


# Applying a previewed roster ----------------------------------------------------------------


class ChangedSincePreview(Exception):
    """The roster would now make other changes than the preview showed: nothing was written."""


def people_fingerprint(result: SyncResult) -> str:
    """What a sync would change, as a hash: the preview's and the apply's must agree."""
    text = "\n".join(
        sorted(
            repr((change.action, change.external_id, sorted(change.fields.items())))
            for change in result.changes
            if change.action != "unchanged"
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def apply_roster(
    *, organisation: Organisation, roster: Roster, mode: str, fingerprint: str, actor: Actor
) -> SyncResult:
    """Apply a previewed roster, all or nothing: refused records come back in the result
    with nothing written, and `ChangedSincePreview` undoes a sync that would not make the
    changes the preview showed."""
    result = sync_people(
        organisation=organisation, records=roster.records, mode=mode, dry_run=False, actor=actor
    )
    if not result.errors and people_fingerprint(result) != fingerprint:
        raise ChangedSincePreview
    return result
