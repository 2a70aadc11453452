"""Reading people.csv, or the roster an HR system exports, into the records of the bulk sync.

This module reads: it decodes the file (see `orgdesign.csvio.format.read_table`), says what
each column is read as (`Roster.columns`: people.csv's own headers, the headers HR systems use,
the columns of a known export, `teams.hr_exports.recognise`, or the caller's `mapping`), and
converts each cell to the type `teams.sync.sync_people` takes: names joined from their parts,
status cells told by their values, a manager given by email or name found in the file and
then in the organisation (one query), a team column checked against the teams (one query).
A cell that cannot be converted (an allocation "abc", an active flag "maybe", a manager
nobody is, or several people are) is a problem with its line number here, and so is an
external id given twice (the sync refuses it too, but by position in the batch). The rest
(unknown manager id or team of the teams column, cycles, allocation bounds, roles) is the
sync's to refuse, so the import follows the same rules as the API.

It also applies a previewed roster (`preview_roster`, `apply_roster`), creating the teams a
team column names when asked (`create_teams`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orgdesign.csvio.format import CsvFileError, Problem, Table, read_table
from teams import history
from teams.actor import Actor
from teams.hr_exports import (
    EXPORTS,
    FIELDS,
    HR_ALIASES,
    KEYS,
    MANAGER_FIELDS,
    MULTI_FIELDS,
    NAME_PARTS,
    SAME_SLOT,
    STATUS_HEADERS,
    Candidate,
    People,
    join_name,
    normalise,
    person_name_keys,
    recognise,
    resolve_manager,
    status_of,
    status_words,
    team_of,
)
from teams.models import Organisation, Person, Role, Team, WorkerType, validate_team_name
from teams.sync import SyncResult, sync_people

__all__ = [
    "ColumnRead", "Roster", "parse_roster", "preview_roster", "apply_roster",
    "ChangedSincePreview", "people_fingerprint", "normalise", "parse_role",
]

REQUIRED_COLUMNS = ("external_id", "name")

# Headers that mean each column of people.csv, besides its own name; matched ignoring case,
# spaces, underscores, hyphens and dots ("EMPLOYEE_ID" is "Employee ID"). The other headers
# HR systems use are `teams.hr_exports.HR_ALIASES` and `STATUS_HEADERS` (Status, Employment
# Status, Employee Type...: read as `status`, told by their values).
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


def _header_fields() -> dict[str, str]:
    fields: dict[str, str] = {}
    for column, aliases in (*HEADER_ALIASES.items(), *HR_ALIASES.items()):
        for header in (column, *aliases):
            fields[normalise(header)] = column
    for header in STATUS_HEADERS:
        fields[normalise(header)] = "status"
    for column in HEADER_ALIASES:  # people.csv's own headers keep their strict reading
        fields[normalise(column)] = column
    return fields


# A known header (normalised) -> the field it gives.
_HEADER_FIELD = _header_fields()
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
# How each manager column names the manager (`teams.hr_exports.resolve_manager`).
_MANAGER_HOW = {"manager_external_id": "id", "manager_email": "email", "manager_name": "name",
                "manager": "any"}
NOT_IMPORTED = "not imported"


@dataclass
class ColumnRead:
    """How one column of the file is read, for the preview to list and a mapping to change."""

    header: str
    field: str | None  # what it gives (the first, if several); None: not imported
    sample: str  # its first value
    # Where the reading comes from: "mapping" (the caller's), "export" (the known export's),
    # "header" (a header people.csv or HR systems use), "" (nothing: not imported).
    source: str = ""
    fields: tuple[str, ...] = ()  # everything it gives (a mapping may give department and team)
    gives: tuple[str, ...] = ()  # a status column: what its values gave (active, worker_type)
    position: int = 0  # its place in the file, from 0 (two columns may share a header)

    @property
    def read_as(self) -> str:
        return ", ".join(self.fields) if self.fields else NOT_IMPORTED


@dataclass
class _Reference:
    """A manager cell to resolve: the record it belongs to and how it names the manager."""

    index: int
    text: str
    how: str  # id, email, name or any
    header: str


@dataclass
class Roster:
    """The records of a roster file, each with its line, or the problems that stop it; and
    how the file was read: every column (`columns`), the known export (`export`)."""

    records: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    columns: list[ColumnRead] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # field of the sync -> its header
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    encoding: str = ""
    separator: str = ""
    export: str | None = None  # the name of the known export (teams.hr_exports.EXPORTS)
    # The options it was read with (`options` gives them back, for the apply).
    mapping: dict | None = None
    key: str | None = None
    create_teams: bool = False
    key_choices: list[str] = field(default_factory=list)  # what people could be keyed by
    new_teams: list[str] = field(default_factory=list)  # what create_teams would create
    # Whether managers and teams were checked against the organisation (else apply does).
    checked: bool = False
    pending: list[_Reference] = field(default_factory=list, repr=False)
    team_lines: dict[int, str] = field(default_factory=dict, repr=False)  # index -> header
    file_people: People | None = field(default=None, repr=False, compare=False)

    def line_of(self, index: int) -> int | None:
        return self.lines[index] if 0 <= index < len(self.lines) else None

    def header_of(self, column: str) -> str:
        return self.fields.get(column, column)

    @property
    def export_label(self) -> str:
        return EXPORTS[self.export].label if self.export else ""

    @property
    def options(self) -> dict:
        """The options of `parse_roster` this roster was read with, as JSON, so that the
        apply (or its job) reads the file the same way."""
        return {"mapping": self.mapping, "key": self.key, "create_teams": self.create_teams}


def accepted_headers(column: str) -> str:
    aliases = HEADER_ALIASES.get(column) or HR_ALIASES.get(column, ())
    return ", ".join((column, *aliases))


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


# Which column gives which field ---------------------------------------------------------------


def _mapped_fields(header: str, value, roster: Roster) -> tuple[str, ...] | None:
    """The fields a mapping gives a column (None, "" or [] : not imported); None and a
    problem when it names no field."""
    if value is None or value == "" or value == NOT_IMPORTED:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, Sequence) or not all(isinstance(v, str) for v in values):
        values = [repr(value)]
    unknown = [v for v in values if v not in FIELDS]
    if unknown:
        roster.problems.append(Problem(
            f"“{header}” is mapped to “{unknown[0]}”, which is not a field; map it to one of "
            f"{', '.join(FIELDS)}, or to nothing to leave it out.",
            line=1, column=header,
        ))
        return None
    return tuple(dict.fromkeys(values))


def _explicit(table: Table, mapping, roster: Roster) -> dict[int, tuple[str, ...]]:
    """The caller's mapping, by position: header -> field, a list of fields, or None."""
    explicit: dict[int, tuple[str, ...]] = {}
    if mapping is None:
        return explicit
    if not isinstance(mapping, Mapping):
        roster.problems.append(Problem("The mapping must name columns and their fields."))
        return explicit
    for header, value in mapping.items():
        header = str(header)
        positions = [i for i, name in enumerate(table.header) if name == header] or [
            i for i, name in enumerate(table.header) if normalise(name) == normalise(header)
        ]
        if not positions:
            roster.problems.append(Problem(
                f"The mapping names a column “{header}” that the file does not have.",
                line=1, column=header,
            ))
            continue
        fields = _mapped_fields(header, value, roster)
        if fields is not None:
            explicit.update(dict.fromkeys(positions, fields))
    return explicit


def _plan_columns(table: Table, roster: Roster, mapping) -> dict[str, list[int]]:
    """What each column gives (`roster.columns`), and the columns of each field; problems
    for a bad mapping, two columns giving one field, a missing key or name."""
    export = recognise(table.header)
    roster.export = export.name if export else None
    explicit = _explicit(table, mapping, roster)
    reading: list[tuple[list[str], str]] = []
    for position, header in enumerate(table.header):
        norm = normalise(header)
        if position in explicit:
            reading.append((list(explicit[position]), "mapping"))
        elif export is not None and norm in export.columns:
            given = export.columns[norm]
            reading.append(([given] if given else [], "export"))
        elif norm in _HEADER_FIELD:
            reading.append(([_HEADER_FIELD[norm]], "header"))
        else:
            reading.append(([], ""))

    key = roster.key
    bad_key = key is not None and key not in KEYS
    if bad_key:
        roster.problems.append(Problem(
            f"People may be keyed by {' or '.join(KEYS)}, not “{key}”.", line=1
        ))
        key = None
    if key is not None:
        for position, (fields, source) in enumerate(reading):
            if "external_id" not in fields:
                continue
            if source == "mapping":
                roster.problems.append(Problem(
                    f"People are keyed by their {key}, so “{table.header[position]}” cannot "
                    "be their external id too; map it to nothing.",
                    line=1, column=table.header[position],
                ))
            fields.remove("external_id")

    # One column a field (but status), the caller's mapping first, then the export's.
    by_slot: dict[str, list[int]] = {}
    for position, (fields, _) in enumerate(reading):
        for name in fields:
            if name not in MULTI_FIELDS:
                by_slot.setdefault(SAME_SLOT.get(name, name), []).append(position)
    for slot, positions in by_slot.items():
        if len(positions) < 2:
            continue
        for rank in ("mapping", "export", "header"):
            ranked = [p for p in positions if reading[p][1] == rank]
            if ranked:
                break
        for position in positions:
            if position not in ranked:  # left out for a column read by a stronger rule
                reading[position][0][:] = [f for f in reading[position][0]
                                           if SAME_SLOT.get(f, f) != slot]
        first = ranked[0]
        for position in ranked[1:]:
            verb = "are both mapped to" if rank == "mapping" else "both give"
            roster.problems.append(Problem(
                f"Columns “{table.header[first]}” and “{table.header[position]}” {verb} "
                f"{slot}; keep one of them.",
                line=1, column=table.header[position],
            ))

    slots: dict[str, list[int]] = {}
    for position, (fields, _) in enumerate(reading):
        for name in fields:
            slots.setdefault(name, []).append(position)
    samples = _samples(table, len(table.header))
    roster.columns = [
        ColumnRead(header, fields[0] if fields else None, samples[position], source,
                   tuple(fields), position=position)
        for position, (header, (fields, source)) in enumerate(zip(table.header, reading,
                                                                  strict=True))
    ]
    roster.ignored_columns = [read.header for read in roster.columns
                              if not read.fields and read.header]
    roster.key_choices = [choice for choice in KEYS if choice in slots]

    # The header of each field of the sync, for the problems and the preview.
    header = table.header
    for name, positions in slots.items():
        roster.fields.setdefault(SAME_SLOT.get(name, name), header[positions[0]])
    if key is not None and key in slots:
        roster.fields["external_id"] = header[slots[key][0]]
    for part in NAME_PARTS:
        if part in slots:
            roster.fields.setdefault("name", header[slots[part][0]])
    for name in MANAGER_FIELDS:
        if name in slots:
            roster.fields.setdefault("manager_external_id", header[slots[name][0]])
    for position in slots.get("status", []):
        roster.fields.setdefault("active", header[position])
        roster.fields.setdefault("worker_type", header[position])

    if bad_key:
        pass  # said above
    elif key is None and "external_id" not in slots:
        roster.problems.append(Problem(
            "The file has no external_id column (accepted headers: "
            f"{accepted_headers('external_id')}).",
            line=1,
        ))
    elif key is not None and key not in slots:
        roster.problems.append(Problem(
            f"The file has no {key} column to key people by (accepted headers: "
            f"{accepted_headers(key)}).",
            line=1,
        ))
    if "name" not in slots and not any(part in slots for part in NAME_PARTS):
        roster.problems.append(Problem(
            f"The file has no name column (accepted headers: {accepted_headers('name')}; or "
            "first and last name columns).",
            line=1,
        ))
    if "external_id" not in slots and key is None and (
        "pipeline" in {normalise(name) for name in table.header}
    ):
        roster.problems.append(Problem(
            "This looks like a matrix.csv: import it with the matrix form instead.", line=1
        ))
    return slots


def _samples(table: Table, width: int) -> list[str]:
    """The first value of each column."""
    samples = [""] * width
    missing = set(range(width))
    for row in table.rows:
        for position in list(missing):
            if position < len(row.cells) and row.cells[position]:
                samples[position] = row.cells[position][:100]
                missing.discard(position)
        if not missing:
            break
    return samples


# Reading the rows ------------------------------------------------------------------------------


class _Rows:
    """Reads the rows of a table into sync records, with the columns `_plan_columns` chose."""

    def __init__(self, table: Table, slots: dict[str, list[int]], roster: Roster):
        self.table, self.roster = table, roster
        self.header = table.header
        self.one = {name: positions[0] for name, positions in slots.items()
                    if name not in MULTI_FIELDS}
        self.status = slots.get("status", [])
        self.managers = [(name, self.one[name]) for name in MANAGER_FIELDS if name in self.one]
        self.parts = [self.one.get(part) for part in NAME_PARTS]
        self.gives: dict[int, set[str]] = {position: set() for position in self.status}
        # Each record's first, last and preferred names and login, for finding managers.
        self.names: list[tuple[str, str, str, str]] = []

    def read(self) -> None:
        roster, width = self.roster, len(self.header)
        first_line: dict[str, int] = {}  # external id -> the line it first appears on
        for row in self.table.rows:
            if any(row.cells[width:]):
                roster.problems.append(Problem(
                    f"This row has {len(row.cells)} cells but the header names {width} "
                    "columns; check for a separator inside a value that is not quoted.",
                    line=row.line,
                ))
                continue
            record = self._record(row.cells, row.line)
            external_id = record.get("external_id")
            if external_id and external_id in first_line:
                # The sync refuses this too, but by position in the batch; say it by line.
                roster.problems.append(Problem(
                    f"{external_id} is also on line {first_line[external_id]}: each person "
                    "may appear once.",
                    line=row.line, column=roster.header_of("external_id"),
                ))
            elif external_id:
                first_line[external_id] = row.line
            roster.records.append(record)
            roster.lines.append(row.line)
        for read in roster.columns:
            if read.position in self.gives:
                read.gives = tuple(sorted(self.gives[read.position]))

    def _problem(self, message: str, line: int, position: int) -> None:
        header = self.header[position]
        self.roster.problems.append(Problem(f"{header}: {message}", line=line, column=header))

    def _record(self, cells: list[str], line: int) -> dict:
        def cell(position: int | None) -> str:
            return cells[position] if position is not None and position < len(cells) else ""

        one, roster = self.one, self.roster
        record: dict = {}
        key = roster.key
        if key is None and "external_id" in one:
            record["external_id"] = cell(one["external_id"])
        elif key is not None and key in one:
            record["external_id"] = cell(one[key]).strip().lower()
        if not record.get("external_id", "x"):
            header = roster.header_of("external_id")
            why = ("every person needs the id the HR system knows them by" if key is None
                   else f"people are keyed by their {key}, so every person needs one")
            roster.problems.append(Problem(f"{header} is empty: {why}.", line=line,
                                           column=header))

        first, last, preferred = (cell(position) for position in self.parts)
        self.names.append((first, last, preferred, cell(one.get("login"))))
        if "name" in one:
            record["name"] = cell(one["name"]) or join_name(first, last, preferred)
        elif any(position is not None for position in self.parts):
            record["name"] = join_name(first, last, preferred)

        for name in ("email", "title", "department", "level"):
            if name in one:
                record[name] = cell(one[name])
        for name, parse in (("role", parse_role), ("active", parse_active),
                            ("worker_type", parse_worker_type), ("teams", parse_teams)):
            if name not in one:
                continue
            text = cell(one[name])
            if not text and name != "teams":
                continue  # an empty role, active or worker type leaves it as it is
            try:
                record[name] = parse(text)
            except ValueError as error:
                self._problem(str(error), line, one[name])
        if "team" in one:
            team = team_of(cell(one["team"]))
            if team:  # an empty cell leaves the person's teams as they are
                record["teams"] = [{"team": team, "allocation": 100}]
                roster.team_lines[len(roster.records)] = self.header[one["team"]]
        elif roster.create_teams and "teams" in one:
            roster.team_lines[len(roster.records)] = self.header[one["teams"]]
        self._status(record, cell, line)
        self._manager(record, cell)
        return record

    def _status(self, record: dict, cell, line: int) -> None:
        said_by: dict[str, int] = {}  # active -> the position of the column that said it
        if "active" in record:
            said_by["active"] = self.one["active"]
        for position in self.status:
            text = cell(position)
            if not text:
                continue
            said = status_of(text)
            if said is None:
                self._problem(
                    f"“{text}” is neither {status_words()}; map the column to nothing to "
                    "leave it out.", line, position,
                )
                continue
            self.gives[position].update(said)
            if "active" in said:
                if "active" in record and record["active"] != said["active"]:
                    other = self.header[said_by.get("active", position)]
                    self._problem(
                        f"“{text}” says the person is {'' if said['active'] else 'not '}"
                        f"active, but {other} says otherwise.", line, position,
                    )
                else:
                    record["active"] = said["active"]
                    said_by.setdefault("active", position)
            if "worker_type" in said and record.get("worker_type") != WorkerType.CONTRACTOR:
                record["worker_type"] = said["worker_type"]  # of two kinds, contractor wins

    def _manager(self, record: dict, cell) -> None:
        if not self.managers:
            return
        given = [(name, position) for name, position in self.managers if cell(position).strip()]
        if not given:
            record["manager_external_id"] = ""  # no manager
            return
        name, position = given[0]
        text = cell(position).strip()
        if name == "manager_external_id" and self.roster.key is None:
            record["manager_external_id"] = cell(position)  # the sync finds it, as people.csv
            return
        record["manager_external_id"] = text
        self.roster.pending.append(
            _Reference(len(self.roster.records), text, _MANAGER_HOW[name], self.header[position])
        )


# Managers and teams, in the file and in the organisation ----------------------------------------


def _file_people(roster: Roster, names: list[tuple[str, str, str, str]]) -> People:
    """The people of the file a manager cell may name (by name only when one is by name)."""
    people = People()
    by_name = any(reference.how in ("name", "any") for reference in roster.pending)
    for index, record in enumerate(roster.records):
        first, last, preferred, login = names[index]
        name = record.get("name", "")
        people.add(
            Candidate(record.get("external_id", ""), name or record.get("external_id", ""),
                      line=roster.lines[index], ident=index),
            ids=[record.get("external_id", "")], emails=[record.get("email", ""), login],
            names=person_name_keys(name, first, last, preferred) if by_name else (),
        )
    return people


def _organisation_people(organisation: Organisation, roster: Roster) -> People:
    """The organisation's people a manager cell may name, in one query; those in the file
    are the file's (as the file has them)."""
    in_file = {record.get("external_id") for record in roster.records}
    people = People()
    rows = Person.objects.filter(organisation=organisation).values_list(
        "id", "external_id", "name", "email", "user_name", "given_name", "family_name", "active"
    )
    by_name = any(reference.how in ("name", "any") for reference in roster.pending)
    for id_, external_id, name, email, login, given, family, active in rows:
        if external_id and external_id in in_file:
            continue
        people.add(Candidate(external_id, name, active=active, ident=id_),
                   ids=[external_id], emails=[email, login],
                   names=person_name_keys(name, given, family) if by_name else ())
    return people


def _resolve(roster: Roster, in_organisation: People | None) -> list[tuple[int, str, Problem]]:
    """Resolve the manager cells still pending; those the file does not settle stay pending
    when the organisation is not asked. The problems, by record index and field."""
    problems, pending = [], []
    for reference in roster.pending:
        found = resolve_manager(reference.text, reference.how, roster.file_people,
                                in_organisation)
        record = roster.records[reference.index]
        if found.key is not None:
            record["manager_external_id"] = found.key
        elif found.deferred:
            pending.append(reference)
        elif reference.how == "id":
            record["manager_external_id"] = reference.text  # the sync says it is unknown
        else:
            problems.append((reference.index, "manager_external_id", Problem(
                f"{reference.header}: {found.problem}", line=roster.line_of(reference.index),
                column=reference.header,
            )))
    roster.pending = pending
    return problems


TEAM_NAME_MAX = Team._meta.get_field("name").max_length


def _check_teams(roster: Roster, organisation: Organisation) -> list[tuple[int, str, Problem]]:
    """The teams a team column names, as the design spells them (exact, else ignoring case);
    an unknown one is a problem, or a team to create when asked (`roster.new_teams`)."""
    if not roster.team_lines:
        return []
    names = list(Team.objects.filter(organisation=organisation).values_list("name", flat=True))
    exact = set(names)
    folded: dict[str, list[str]] = {}
    for name in names:
        folded.setdefault(name.casefold(), []).append(name)
    problems = []
    new: dict[str, str] = {}  # folded -> the name to create
    for index, header in roster.team_lines.items():
        for entry in roster.records[index].get("teams", []):
            name = entry["team"]
            if name in exact:
                continue
            matches = folded.get(name.casefold(), [])
            line = roster.line_of(index)

            def problem(message: str, index=index, line=line, header=header) -> None:
                problems.append((index, "teams", Problem(f"{header}: {message}", line=line,
                                                         column=header)))

            if len(matches) == 1:
                entry["team"] = matches[0]
            elif matches:
                problem(f"“{name}” could be the team {' or '.join(matches)}; rename one of them.")
            elif not roster.create_teams:
                problem(f"No team is named “{name}”: create it first, or import with new "
                        "teams created.")
            else:
                try:
                    validate_team_name(name)
                    if len(name) > TEAM_NAME_MAX:
                        raise ValidationError(f"A team name has at most {TEAM_NAME_MAX} "
                                              "characters.")
                except ValidationError as error:
                    problem(f"“{name}” cannot be a new team: {' '.join(error.messages)}")
                    continue
                entry["team"] = new.setdefault(name.casefold(), name)
    roster.new_teams = list(new.values())
    return problems


def _check_in(roster: Roster, organisation: Organisation) -> list[tuple[int, str, Problem]]:
    """Managers and teams checked against the organisation, once: two queries at most."""
    if roster.checked:
        return []
    roster.checked = True
    problems = []
    if roster.pending:
        problems += _resolve(roster, _organisation_people(organisation, roster))
    problems += _check_teams(roster, organisation)
    return sorted(problems, key=lambda problem: problem[0])


def parse_roster(
    data: bytes,
    *,
    mapping: Mapping[str, str | Sequence[str] | None] | None = None,
    key: str | None = None,
    create_teams: bool = False,
    organisation: Organisation | None = None,
) -> Roster:
    """The people of a roster file as sync records; `problems` says what stops the import,
    `columns` how each column was read, `export` the known export recognised.

    `mapping` (header -> field of `teams.hr_exports.FIELDS`, a list of them, or None to leave
    the column out) overrides the reading of the columns it names. `key` ("email" or "login";
    None or "external_id": the external id column) keys people by that column, which
    becomes their external id (lower-cased), when the file has no external id. `create_teams`
    lets the apply create the teams a team column names that the design lacks. With
    `organisation`, managers the file does not settle are looked for among its people and
    team names checked (two queries); without it, `apply_roster` does it."""
    roster = Roster(mapping=dict(mapping) if isinstance(mapping, Mapping) else mapping,
                    key=None if key in (None, "", "external_id") else key,
                    create_teams=create_teams)
    try:
        table = read_table(data)
    except CsvFileError as error:
        roster.problems.append(Problem(error.message, line=error.line))
        return roster
    roster.encoding, roster.separator = table.encoding, table.separator_name
    slots = _plan_columns(table, roster, mapping)
    if roster.problems:
        return roster
    rows = _Rows(table, slots, roster)
    rows.read()
    if roster.pending:
        roster.file_people = _file_people(roster, rows.names)
        roster.problems += [problem for _, _, problem in _resolve(roster, None)]
    if organisation is not None:
        roster.problems += [problem for _, _, problem in _check_in(roster, organisation)]
        roster.problems.sort(key=lambda problem: problem.line or 0)
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


def _refused(roster: Roster, problems: list[tuple[int, str, Problem]]) -> SyncResult:
    """Problems found against the organisation at the apply, as the sync reports its own."""
    errors: dict[int, dict[str, list[str]]] = {}
    for index, name, problem in problems:
        errors.setdefault(index, {}).setdefault(name, []).append(problem.message)
    return SyncResult(errors=[
        {"index": index, "external_id": roster.records[index].get("external_id"),
         "errors": fields}
        for index, fields in sorted(errors.items())
    ])


def _create_teams(organisation: Organisation, names: list[str], actor: Actor) -> None:
    """The teams a roster names that the design lacks, in bulk (kind other), with their
    history: a fixed number of queries, whatever their number."""
    if not names:
        return
    existing = {
        name.casefold()
        for name in Team.objects.filter(organisation=organisation).values_list("name", flat=True)
    }
    now = timezone.now()
    teams = [
        Team(organisation=organisation, name=name, created_at=now, **actor.fields())
        for name in names if name.casefold() not in existing
    ]
    if not teams:
        return
    Team.objects.bulk_create(teams)
    if any(team.pk is None for team in teams):  # a database that returns no ids
        ids = dict(Team.objects.filter(organisation=organisation, name__in=[t.name for t in teams])
                   .values_list("name", "id"))
        for team in teams:
            team.pk = ids[team.name]
    history.record(teams, history.ADDED, organisation_id=organisation.pk)


def preview_roster(
    *, organisation: Organisation, roster: Roster, mode: str, actor: Actor
) -> SyncResult:
    """What applying the roster would change (a dry run of the sync): the managers and teams
    checked against the organisation if `parse_roster` did not, and the teams it would
    create created for the dry run only, then rolled back."""
    problems = _check_in(roster, organisation)
    if problems:
        return _refused(roster, problems)
    if not roster.new_teams:
        return sync_people(organisation=organisation, records=roster.records, mode=mode,
                           dry_run=True, actor=actor)
    with transaction.atomic():
        _create_teams(organisation, roster.new_teams, actor)
        result = sync_people(organisation=organisation, records=roster.records, mode=mode,
                             dry_run=True, actor=actor)
        transaction.set_rollback(True)
    return result


@transaction.atomic
def apply_roster(
    *, organisation: Organisation, roster: Roster, mode: str, fingerprint: str, actor: Actor
) -> SyncResult:
    """Apply a previewed roster, all or nothing: refused records come back in the result
    with nothing written, and `ChangedSincePreview` undoes a sync that would not make the
    changes the preview showed. The teams a roster read with `create_teams` names are
    created first, in the same transaction. A roster with problems is never applied."""
    if roster.problems:
        raise ValueError("A roster with problems cannot be applied: show them instead.")
    problems = _check_in(roster, organisation)
    if problems:
        return _refused(roster, problems)
    _create_teams(organisation, roster.new_teams, actor)
    result = sync_people(
        organisation=organisation, records=roster.records, mode=mode, dry_run=False, actor=actor
    )
    if result.errors:
        transaction.set_rollback(True)  # the teams created for it too
    elif people_fingerprint(result) != fingerprint:
        raise ChangedSincePreview
    return result
