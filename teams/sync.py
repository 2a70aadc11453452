"""Bulk people sync: an HR system's batch of people applied in one go, all or nothing.

The API's `people/sync/` and the CSV roster import both call `sync_people`, so they share
one set of rules: external ids unique in the batch, managers that exist (in the batch or in
the organisation, in any order), no reporting loop in the resulting organisation, known
roles, worker types and teams, allocations of 1 to 100, levels of at most 20 characters.
Every bad record is reported with its index;
if there is any, nothing is written. A batch that changes nothing writes nothing.

It is built for whole-company batches (50,000 people): a fixed number of reads, plain
Python to validate and compare, then the writes in bulk. New people go in with one COPY on
PostgreSQL (their ids taken from the sequence first, so managers and reports go in
together), and elsewhere by bulk inserts level by level of the new reporting tree (so
managers have ids before their reports); changes are bulk updates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from orgdesign.analysis.reporting import loops_in
from teams import history
from teams.actor import SYSTEM, Actor
from teams.bulk import ANALYZE_FROM_ROWS, analyze, bulk_update, copy_insert, reserve_ids
from teams.models import Membership, Organisation, Person, Role, Team, WorkerType, is_allocation
from teams.services import PERSON_MAX_LENGTHS, PERSON_TEXT_FIELDS, person_values

MODES = ("delta", "snapshot")
PERSON_FIELDS = ("name", "email", "title", "department", "role", "active", "worker_type", "level")
# The fields a record may have (docs/design.md section 4); any other is refused, not ignored.
RECORD_FIELDS = frozenset({
    "external_id", *PERSON_TEXT_FIELDS, "role", "manager_external_id", "active", "worker_type",
    "teams",
})
BATCH = 500  # rows per bulk statement: well under SQLite's variable limit


@dataclass
class PersonChange:
    action: str  # create, update, deactivate, unchanged
    external_id: str
    name: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    changes: list[PersonChange] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The answer of the API. A refused batch wrote nothing, and its counts say so (they
        are 0); a clean dry run counts what it would do."""
        refused = bool(self.errors)
        return {
            "created": 0 if refused else self.created,
            "updated": 0 if refused else self.updated,
            "deactivated": 0 if refused else self.deactivated,
            "unchanged": 0 if refused else self.unchanged,
            "errors": self.errors,
        }


@dataclass
class _Existing:
    id: int
    external_id: str
    name: str
    email: str
    title: str
    department: str
    role: str
    manager_id: int | None
    active: bool
    user_name: str
    worker_type: str
    level: str


@dataclass
class _Planned:
    """One record, checked: what the person will look like after the sync."""

    index: int
    external_id: str
    values: dict[str, Any]  # the person fields the record sets
    manager_key: str | None | type[Ellipsis]  # external id, None to clear, ... to keep
    teams: dict[int, int] | None  # team id -> allocation; None keeps the memberships
    existing: _Existing | None = None


def sync_people(
    *,
    organisation: Organisation,
    records: Sequence[Mapping[str, Any]],
    mode: str = "delta",
    dry_run: bool = False,
    actor: Actor = SYSTEM,
) -> SyncResult:
    """Apply a batch of people (see the module's doc). `snapshot` also deactivates the
    organisation's active people missing from the batch. Never raises for bad records: they
    come back in `result.errors` and nothing is written."""
    if mode not in MODES:
        raise ValidationError({"mode": f"Mode must be one of {', '.join(MODES)}, not {mode!r}."})
    if not isinstance(records, Sequence) or isinstance(records, str | bytes):
        raise ValidationError({"people": "People must be a list."})
    with transaction.atomic():
        # Serialise syncs and manager changes of one organisation: the loop check below
        # must see the reporting lines as they will be when this batch is written.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        plan = _Plan(organisation, records, mode)
        result = plan.result(dry_run=dry_run)
        if not result.errors and not dry_run:
            plan.apply(actor)
            result.applied = True
    return result


class _Plan:
    def __init__(self, organisation: Organisation, records: Sequence, mode: str):
        self.organisation = organisation
        self.mode = mode
        self.errors: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.existing = [
            _Existing(*row)
            for row in Person.objects.filter(organisation=organisation).values_list(
                "id", "external_id", "name", "email", "title", "department", "role",
                "manager_id", "active", "user_name", "worker_type", "level",
            )
        ]
        self.by_external_id = {p.external_id: p for p in self.existing if p.external_id}
        self.teams = dict(Team.objects.filter(organisation=organisation).values_list("name", "id"))
        self.planned: list[_Planned] = []
        self._check_records(records)
        self._check_emails()
        self._check_managers()
        self._load_memberships()
        self._diff()

    # Checking --------------------------------------------------------------------------------

    def _error(self, index: int, field_name: str, message: str) -> None:
        self.errors[index][field_name].append(message)

    def _check_records(self, records: Sequence) -> None:
        seen: dict[str, int] = {}
        for index, record in enumerate(records):
            if not isinstance(record, Mapping):
                self._error(index, "non_field_errors", "Each person must be an object.")
                continue
            for unknown in sorted(set(record) - RECORD_FIELDS, key=str):
                self._error(index, str(unknown), "Unknown field: a person has no such field.")
            external_id = record.get("external_id")
            if not isinstance(external_id, str) or not external_id.strip():
                self._error(index, "external_id", "Every person needs an external_id.")
                continue
            external_id = external_id.strip()
            if len(external_id) > PERSON_MAX_LENGTHS["external_id"]:
                self._error(
                    index, "external_id", f"At most {PERSON_MAX_LENGTHS['external_id']} characters."
                )
                continue
            if external_id in seen:
                self._error(
                    index,
                    "external_id",
                    f"{external_id} appears twice in the batch "
                    f"(also at index {seen[external_id]}).",
                )
                continue
            seen[external_id] = index
            existing = self.by_external_id.get(external_id)
            values = self._check_values(index, record, creating=existing is None)
            manager_key: Any = ...
            if "manager_external_id" in record:
                manager_key = record["manager_external_id"]
                if manager_key in (None, ""):
                    manager_key = None
                elif not isinstance(manager_key, str):
                    self._error(index, "manager_external_id", "Must be an external id or null.")
                    manager_key = ...
                else:
                    manager_key = manager_key.strip()
            teams = self._check_teams(index, record["teams"]) if "teams" in record else None
            self.planned.append(_Planned(index, external_id, values, manager_key, teams, existing))

    def _check_values(self, index: int, record: Mapping, *, creating: bool) -> dict[str, Any]:
        values, errors = person_values(record, creating=creating)
        for name, messages in errors.items():
            for message in messages:
                self._error(index, name, message)
        return values

    def _check_teams(self, index: int, teams: Any) -> dict[int, int] | None:
        # Absent keeps the memberships; present (null included) must be a list.
        if not isinstance(teams, Sequence) or isinstance(teams, str | bytes):
            self._error(index, "teams", "Teams must be a list of {team, allocation}.")
            return None
        wanted: dict[int, int] = {}
        for entry in teams:
            if not isinstance(entry, Mapping):
                self._error(index, "teams", "Each team must be an object {team, allocation}.")
                continue
            unknown = sorted(set(entry) - {"team", "allocation"}, key=str)
            if unknown:
                self._error(
                    index, "teams",
                    f"Unknown field {', '.join(map(repr, unknown))} in a team: write "
                    "{team, allocation}.",
                )
                continue
            name, allocation = entry.get("team"), entry.get("allocation", 100)
            team_id = self.teams.get(name) if isinstance(name, str) else None
            if team_id is None:
                self._error(index, "teams", f"Unknown team {name!r}.")
                continue
            if team_id in wanted:
                self._error(index, "teams", f"Team {name!r} is listed twice.")
                continue
            if not is_allocation(allocation):
                self._error(
                    index,
                    "teams",
                    f"Allocation to {name!r} must be a whole percent from 1 to 100, not "
                    f"{allocation!r}.",
                )
                continue
            wanted[team_id] = allocation
        return wanted

    def _check_emails(self) -> None:
        """Emails stay unique in the organisation (case-insensitive) after the sync, and so
        do logins: the email of someone without a login of their own is their login
        (`Person.scim_user_name`), which must not be another person's."""
        planned_ids = {p.existing.id for p in self.planned if p.existing}
        owner: dict[str, str] = {}  # lower email -> who holds it after the sync
        login_owner: dict[str, str] = {}  # lower login -> who holds it after the sync
        for person in self.existing:
            if person.id in planned_ids:
                continue
            who = f"{person.name} ({person.external_id or 'no id'})"
            if person.email:
                owner[person.email.lower()] = who
            if person.user_name or person.email:
                login_owner[(person.user_name or person.email).lower()] = who
        for planned in self.planned:
            existing = planned.existing
            email = planned.values.get("email", existing.email if existing else "")
            login = (existing.user_name if existing else "") or email
            if login:
                if login.lower() in login_owner and (email.lower() not in owner):
                    self._error(
                        planned.index, "email",
                        f"{email} is the identity-provider login of "
                        f"{login_owner[login.lower()]}.",
                    )
                    continue
                login_owner[login.lower()] = planned.external_id
            if not email:
                continue
            key = email.lower()
            if key in owner:
                self._error(planned.index, "email", f"{email} is already used by {owner[key]}.")
            else:
                owner[key] = planned.external_id

    def _check_managers(self) -> None:
        """Managers exist, and the resulting reporting lines form no loop."""
        batch_ids = {p.external_id for p in self.planned}
        # Everyone after the sync, keyed by external id (or by row id for people without).
        manager_of: dict[str, str | None] = {}
        name_of: dict[str, str] = {}
        id_key = {p.id: (p.external_id or f"#{p.id}") for p in self.existing}
        for person in self.existing:
            key = id_key[person.id]
            manager_of[key] = id_key.get(person.manager_id) if person.manager_id else None
            name_of[key] = person.name
        for planned in self.planned:
            name_of[planned.external_id] = planned.values.get(
                "name", planned.existing.name if planned.existing else planned.external_id
            )
            if planned.manager_key is ...:
                manager_of.setdefault(planned.external_id, None)
                continue
            manager = planned.manager_key
            if manager is not None:
                if manager == planned.external_id:
                    self._error(
                        planned.index,
                        "manager_external_id",
                        "A person cannot be their own manager.",
                    )
                    manager = None
                elif manager not in batch_ids and manager not in self.by_external_id:
                    self._error(
                        planned.index,
                        "manager_external_id",
                        f"Unknown manager {manager!r}: not in this batch nor in the organisation.",
                    )
                    manager = None
            manager_of[planned.external_id] = manager

        index_of = {p.external_id: p.index for p in self.planned}
        for loop in loops_in(manager_of):
            chain = " → ".join(name_of.get(key, key) for key in [*loop, loop[0]])
            message = f"The reporting lines would go round in a loop ({chain})."
            in_batch = [key for key in loop if key in index_of]
            for key in in_batch or loop[:1]:
                if key in index_of:
                    self._error(index_of[key], "manager_external_id", message)
        self.final_manager = manager_of

    def _load_memberships(self) -> None:
        self.memberships: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
        if not any(p.teams is not None and p.existing for p in self.planned):
            return
        rows = Membership.objects.filter(team__organisation=self.organisation).values_list(
            "id", "person_id", "team_id", "allocation"
        )
        for membership_id, person_id, team_id, allocation in rows:
            self.memberships[person_id][team_id] = (membership_id, allocation)

    # Comparing -------------------------------------------------------------------------------

    def _diff(self) -> None:
        self.changes: list[PersonChange] = []
        id_key = {p.id: p.external_id for p in self.existing}
        team_names = {team_id: name for name, team_id in self.teams.items()}
        for planned in self.planned:
            existing = planned.existing
            if existing is None:
                self.changes.append(
                    PersonChange("create", planned.external_id, planned.values.get("name", ""))
                )
                continue
            changed: dict[str, tuple[Any, Any]] = {}
            for name, value in planned.values.items():
                if getattr(existing, name) != value:
                    changed[name] = (getattr(existing, name), value)
            if planned.manager_key is not ...:
                current = id_key.get(existing.manager_id) if existing.manager_id else None
                if current != planned.manager_key:
                    changed["manager_external_id"] = (current, planned.manager_key)
            if planned.teams is not None:
                current_teams = {
                    team_id: allocation
                    for team_id, (_, allocation) in self.memberships.get(existing.id, {}).items()
                }
                if current_teams != planned.teams:
                    changed["teams"] = (
                        _teams_text(current_teams, team_names),
                        _teams_text(planned.teams, team_names),
                    )
            action = "update" if changed else "unchanged"
            self.changes.append(PersonChange(action, planned.external_id, existing.name, changed))
        self.to_deactivate: list[_Existing] = []
        if self.mode == "snapshot":
            in_batch = {p.external_id for p in self.planned}
            for person in self.existing:
                if person.active and (not person.external_id or person.external_id not in in_batch):
                    self.to_deactivate.append(person)
                    self.changes.append(
                        PersonChange(
                            "deactivate", person.external_id, person.name, {"active": (True, False)}
                        )
                    )

    def result(self, *, dry_run: bool) -> SyncResult:
        external_ids = {planned.index: planned.external_id for planned in self.planned}
        errors = [
            {
                "index": index,
                "external_id": external_ids.get(index),
                "errors": {name: list(messages) for name, messages in fields.items()},
            }
            for index, fields in sorted(self.errors.items())
        ]
        counts = defaultdict(int)
        for change in self.changes:
            counts[change.action] += 1
        return SyncResult(
            created=counts["create"],
            updated=counts["update"],
            deactivated=counts["deactivate"],
            unchanged=counts["unchanged"],
            errors=errors,
            changes=self.changes,
            dry_run=dry_run,
        )

    # Writing ---------------------------------------------------------------------------------

    def apply(self, actor: Actor) -> None:
        now = timezone.now()
        stamp = {**actor.fields(), "updated_at": now}
        ids = {p.external_id: p.id for p in self.existing if p.external_id}
        actions = {change.external_id: change for change in self.changes}

        new = [p for p in self.planned if p.existing is None]
        if connection.vendor == "postgresql":
            self._copy_new(new, ids, stamp, now)
        else:
            self._create_new(new, ids, stamp, now)
        # Changed people: the changed fields only, then the attribution of all of them.
        changed, fields = [], set()
        for planned in self.planned:
            change = actions[planned.external_id]
            if planned.existing is None or change.action != "update":
                continue
            person = Person(id=planned.existing.id)
            for name in PERSON_FIELDS:
                if name in change.fields:
                    setattr(person, name, planned.values[name])
                    fields.add(name)
            if change.fields.get("active", (None, None))[1] is True:
                person.scim_deleted_at = None  # back in the organisation: provisioned again
                fields.add("scim_deleted_at")
            if "manager_external_id" in change.fields:
                person.manager_id = ids[planned.manager_key] if planned.manager_key else None
                fields.add("manager")
            changed.append(person)
        if fields:
            bulk_update(Person, changed, sorted(fields))
        changed_ids = [person.id for person in changed]
        for start in range(0, len(changed_ids), BATCH):
            Person.objects.filter(id__in=changed_ids[start : start + BATCH]).update(**stamp)


        # Memberships of the records that list their teams.
        self._apply_memberships(ids, stamp, now, actor)

        # Snapshot: who is missing from the batch leaves.
        missing = [person.id for person in self.to_deactivate]
        for start in range(0, len(missing), BATCH):
            Person.objects.filter(id__in=missing[start : start + BATCH]).update(
                active=False, **stamp
            )
        # The history of every changed person, read back once the writes are done.
        history.record_ids(
            Person, changed_ids + missing, history.CHANGED, organisation_id=self.organisation.pk
        )
        if len(new) + len(changed_ids) + len(missing) >= ANALYZE_FROM_ROWS:
            analyze(Person, Membership)

    def _new_values(self, planned: _Planned) -> dict[str, Any]:
        return {
            "external_id": planned.external_id,
            "name": planned.values.get("name", ""),
            "email": planned.values.get("email", ""),
            "title": planned.values.get("title", ""),
            "department": planned.values.get("department", ""),
            "role": planned.values.get("role", Role.OTHER.value),
            "active": planned.values.get("active", True),
            "worker_type": planned.values.get("worker_type", WorkerType.EMPLOYEE.value),
            "level": planned.values.get("level", ""),
        }

    def _create_new(self, new: list[_Planned], ids: dict[str, int], stamp: dict, now) -> None:
        """New people, one level of the new reporting tree at a time, so each one's manager
        has an id when they are written."""
        for level in _levels(new, self.final_manager):
            people = [
                Person(
                    organisation=self.organisation,
                    **self._new_values(planned),
                    manager_id=ids.get(self.final_manager.get(planned.external_id) or ""),
                    created_at=now,
                    **stamp,
                )
                for planned in level
            ]
            Person.objects.bulk_create(people, batch_size=BATCH)
            history.record(people, history.ADDED, organisation_id=self.organisation.pk)
            for person in people:
                ids[person.external_id] = person.pk

    def _copy_new(self, new: list[_Planned], ids: dict[str, int], stamp: dict, now) -> None:
        """New people on PostgreSQL: their ids taken at once from the table's sequence, then
        one COPY of them all with their managers, then their history. A fraction of the time
        of bulk_create level by level (docs/performance.md); the same rows in the end."""
        if not new:
            return
        ids.update(zip((planned.external_id for planned in new),
                       reserve_ids(Person, len(new)), strict=True))
        copy_insert(Person, [
            {
                **self._new_values(planned),
                "id": ids[planned.external_id],
                "manager_id": ids.get(self.final_manager.get(planned.external_id) or ""),
            }
            for planned in new
        ], same={"organisation_id": self.organisation.pk, "created_at": now, **stamp})
        history.record_ids(Person, [ids[planned.external_id] for planned in new],
                           history.ADDED, organisation_id=self.organisation.pk)

    def _apply_memberships(self, ids: dict[str, int], stamp: dict, now, actor: Actor) -> None:
        remove, create, update = [], [], []
        for planned in self.planned:
            if planned.teams is None:
                continue
            person_id = ids[planned.external_id]
            current = self.memberships.get(person_id, {}) if planned.existing else {}
            for team_id, (membership_id, _) in current.items():
                if team_id not in planned.teams:
                    remove.append(membership_id)
            for team_id, allocation in planned.teams.items():
                if team_id not in current:
                    create.append(
                        Membership(
                            person_id=person_id,
                            team_id=team_id,
                            allocation=allocation,
                            created_at=now,
                            **stamp,
                        )
                    )
                elif current[team_id][1] != allocation:
                    membership = Membership(id=current[team_id][0], allocation=allocation)
                    for name, value in stamp.items():
                        setattr(membership, name, value)
                    update.append(membership)
        organisation_id = self.organisation.pk
        history.delete_recorded(Membership, remove, organisation_id=organisation_id, actor=actor)
        Membership.objects.bulk_create(create, batch_size=BATCH)
        history.record(create, history.ADDED, organisation_id=organisation_id)
        Membership.objects.bulk_update(update, ["allocation", *stamp], batch_size=BATCH)
        history.record_ids(
            Membership, [m.id for m in update], history.CHANGED, organisation_id=organisation_id
        )


def _teams_text(teams: dict[int, int], names: dict[int, str]) -> str:
    return ";".join(
        f"{names.get(team_id, team_id)}:{allocation}"
        for team_id, allocation in sorted(teams.items(), key=lambda item: names.get(item[0], ""))
    )


def _levels(new: list[_Planned], manager_of: Mapping[str, str | None]) -> list[list[_Planned]]:
    """New people grouped so that each one's manager, if new too, is in an earlier group."""
    new_ids = {p.external_id for p in new}
    depth: dict[str, int] = {}

    def depth_of(key: str) -> int:
        chain = []
        while key in new_ids and key not in depth:
            chain.append(key)
            manager = manager_of.get(key)
            if manager is None or manager not in new_ids:
                break
            key = manager
        base = depth.get(key, -1) if key in depth else -1
        for member in reversed(chain):
            base += 1
            depth[member] = base
        return depth[chain[0]] if chain else depth[key]

    levels: dict[int, list[_Planned]] = defaultdict(list)
    for planned in new:
        levels[depth_of(planned.external_id)].append(planned)
    return [levels[level] for level in sorted(levels)]
