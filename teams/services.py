"""Every write to organisations, people, teams and memberships goes through these functions.

Browser views, the API, SCIM, CSV import, the admin and the management commands call them,
so a rule (no manager cycle, same-organisation references, allocation bounds, no deletion of
people) is enforced in one place. Each refuses with a `ValidationError` keyed by field.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from orgdesign.analysis.reporting import cycle_if_manager_set, loops_in
from teams import history
from teams.actor import SYSTEM, Actor
from teams.bulk import bulk_update
from teams.history import WITH_ITS_TEAM, delete_recorded
from teams.models import (
    AccessRole,
    Membership,
    Organisation,
    OrganisationAccess,
    Person,
    Role,
    Team,
    WorkerType,
    is_allocation,
    validate_team_name,
)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


# Marks an argument the caller did not pass, so None can mean "clear this field".
UNSET: Any = _Unset()


class ConflictError(ValidationError):
    """The object was changed by someone else since the editor read it.

    Carries the current row so the caller can show its values instead of overwriting them.
    """

    def __init__(self, current):
        self.current = current
        super().__init__(
            f"{current} was changed by someone else while you were editing. Your changes were "
            "not saved; the current values are shown."
        )


def version_of(instance) -> str:
    """The token an editor sends back to say which state of the object it edited."""
    return instance.updated_at.isoformat() if instance.updated_at else ""


def lock_unchanged(instance, expected_version: str | None) -> None:
    """Lock the row until the caller's transaction ends, and refuse if it has changed since
    `expected_version` was read, so the check and the write cannot race. None skips it."""
    if expected_version is None or instance.pk is None:
        return
    current = type(instance).objects.select_for_update().get(pk=instance.pk)
    if version_of(current) != expected_version:
        raise ConflictError(current)


# Constraint violations that belong next to one field rather than above the form.
_CODE_FIELDS = {
    "external_id_taken": "external_id",
    "email_taken": "email",
    "user_name_taken": "user_name",
    "span_max_positive": "span_max",
    "layers_max_positive": "layers_max",
    "level_taken": "name",
}


def validate_instance(instance, exclude: Iterable[str] = ()) -> None:
    """Field validation (choices, lengths, formats) and the database's unique constraints,
    with "already exists in this organisation" errors keyed by the field that collides."""
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=True)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        errors = {}
        for field, field_errors in error.error_dict.items():
            for field_error in field_errors:
                errors.setdefault(_field_of(field, field_error), []).append(field_error)
        raise ValidationError(errors) from error


def race_refusal(error: IntegrityError) -> ValidationError:
    """A unique constraint that two writes raced for (both checked before either wrote), as
    the refusal the slower one would have had a moment later: the constraint's own message,
    next to its field. Any other integrity error is a refusal without a field."""
    text = str(error)
    cause = getattr(error, "__cause__", None)
    name = getattr(getattr(cause, "diag", None), "constraint_name", None)
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name or (constraint.name and constraint.name in text):
                message = constraint.get_violation_error_message()
                code = constraint.violation_error_code
                field = _CODE_FIELDS.get(code)
                if field is None and getattr(constraint, "fields", None):
                    field = [f for f in constraint.fields if f != "organisation"][-1]
                return ValidationError({field or NON_FIELD_ERRORS: [
                    ValidationError(message, code=code or "unique")
                ]})
    return ValidationError(
        "This write collided with another one made at the same moment; nothing was written. "
        "Read again and retry."
    )


def _field_of(field: str, error: ValidationError) -> str:
    if field != NON_FIELD_ERRORS:
        return field
    if error.code in _CODE_FIELDS:
        return _CODE_FIELDS[error.code]
    if error.code == "unique_together":
        # (organisation, name): the collision is on the name.
        others = [name for name in error.params["unique_check"] if name != "organisation"]
        if len(others) == 1:
            return others[0]
    return field


def require_same_org(organisation_id: int, field: str, obj) -> None:
    if obj is not None and obj.organisation_id != organisation_id:
        raise ValidationError({field: f"{obj} belongs to another organisation."})


# Organisations -------------------------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *, slug: str, name: str, creator=None, actor: Actor = SYSTEM
) -> Organisation:
    """A new, empty organisation; its creator, when given, becomes its admin."""
    organisation = Organisation(slug=slug, name=name)
    validate_instance(organisation)
    actor.stamp(organisation)
    organisation.save()
    if creator is not None:
        access_grant(organisation=organisation, user=creator, role=AccessRole.ADMIN)
    return organisation


@transaction.atomic
def organisation_update(
    *,
    organisation: Organisation,
    name: str = UNSET,
    ml_head: Person | None = UNSET,
    span_max: int = UNSET,
    layers_max: int = UNSET,
    merge_approval: str = UNSET,
    expected_version: str | None = None,
    actor: Actor = SYSTEM,
) -> Organisation:
    lock_unchanged(organisation, expected_version)
    if merge_approval is not UNSET:
        organisation.merge_approval = merge_approval
    if ml_head is not UNSET:
        require_same_org(organisation.id, "ml_head", ml_head)
        organisation.ml_head = ml_head
    for field, value in (("name", name), ("span_max", span_max), ("layers_max", layers_max)):
        if value is not UNSET:
            setattr(organisation, field, value)
    validate_instance(organisation)
    actor.stamp(organisation)
    organisation.save()
    return organisation


def _is_last_admin(organisation: Organisation, user, *, lock: bool = False) -> bool:
    admins = OrganisationAccess.objects.filter(organisation=organisation, role=AccessRole.ADMIN)
    others = admins.exclude(user=user)
    if lock:
        # Two admins demoting each other at once must not both succeed.
        others = others.select_for_update()
    return admins.filter(user=user).exists() and not others.exists()


def _refuse_losing_last_admin(organisation: Organisation, user) -> None:
    if _is_last_admin(organisation, user, lock=True):
        raise ValidationError(
            {
                "role": f"{user} is the last admin of {organisation.name}; make someone else "
                "admin first."
            }
        )


@transaction.atomic
def check_access_change(*, organisation: Organisation, user, role: str) -> None:
    """Refuse a role the services would not grant: unknown, taking the last admin's, or on a
    scenario (its home's members see it: nobody is added to a scenario alone)."""
    if organisation.home_id is not None:
        raise ValidationError(
            {"role": f"{organisation.name} is a scenario: whoever may see "
                     f"{organisation.home.name} sees it. Add members there."}
        )
    if role not in AccessRole.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    if role != AccessRole.ADMIN:
        _refuse_losing_last_admin(organisation, user)


def access_removable(*, organisation: Organisation, user) -> bool:
    """Whether `access_revoke` would remove this login (it keeps the last admin)."""
    return not _is_last_admin(organisation, user)


@transaction.atomic
def access_grant(*, organisation: Organisation, user, role: str) -> OrganisationAccess:
    """Give a login a role in the organisation, or change it; never leaves it without admin."""
    check_access_change(organisation=organisation, user=user, role=role)
    access, _ = OrganisationAccess.objects.update_or_create(
        organisation=organisation, user=user, defaults={"role": role}
    )
    return access


@transaction.atomic
def access_revoke(*, organisation: Organisation, user) -> None:
    _refuse_losing_last_admin(organisation, user)
    OrganisationAccess.objects.filter(organisation=organisation, user=user).delete()


# People --------------------------------------------------------------------------------------


# A person's fields as an HR system or a roster sends them: text (trimmed) no longer than its
# column, a role and a worker type of the model's choices. Read from the model once: `values`
# builds a new list at each call, a third of the checking of 50,000 records.
PERSON_TEXT_FIELDS = ("name", "email", "title", "department", "level")
PERSON_MAX_LENGTHS = {
    name: Person._meta.get_field(name).max_length for name in ("external_id", *PERSON_TEXT_FIELDS)
}
PERSON_ROLES = frozenset(Role.values)
PERSON_WORKER_TYPES = frozenset(WorkerType.values)


def person_values(
    record: Mapping[str, Any], *, creating: bool
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values of a person's fields in `record` (those it has), and why any is refused, by
    field. The one check of a person's fields, made by `person_create` and `person_update`
    for every door, and by the sync on each of the records of a batch (`teams.sync`), where
    the model's own validation of each row would take 6 s for 50,000."""
    errors: dict[str, list[str]] = defaultdict(list)

    def refuse(name: str, message: str) -> None:
        errors[name].append(message)

    values: dict[str, Any] = {}
    for name in PERSON_TEXT_FIELDS:
        if name not in record:
            continue
        value = record[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            refuse(name, "Must be text.")
            continue
        value = value.strip()
        if len(value) > PERSON_MAX_LENGTHS[name]:
            refuse(name, f"At most {PERSON_MAX_LENGTHS[name]} characters.")
            continue
        values[name] = value
    if "name" in values and not values["name"]:
        refuse("name", "The name cannot be empty.")
    if creating and "name" not in record:
        refuse("name", "A new person needs a name.")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            refuse("email", f"{values['email']!r} is not an email address.")
    if "role" in record:
        role = record["role"]
        if role == "":
            role = Role.OTHER.value
        if not isinstance(role, str) or role not in PERSON_ROLES:
            refuse("role", f"Unknown role {role!r}; roles are {', '.join(Role.values)}.")
        else:
            values["role"] = role
    if "active" in record:
        if not isinstance(record["active"], bool):
            refuse("active", "Must be true or false.")
        else:
            values["active"] = record["active"]
    if "worker_type" in record:
        worker_type = record["worker_type"]
        if worker_type in ("", None):
            worker_type = WorkerType.EMPLOYEE.value
        if not isinstance(worker_type, str) or worker_type not in PERSON_WORKER_TYPES:
            refuse(
                "worker_type",
                f"Unknown worker type {worker_type!r}; write "
                f"{' or '.join(WorkerType.values)}.",
            )
        else:
            values["worker_type"] = worker_type
    return values, dict(errors)


def _refuse_person_values(creating: bool, **fields) -> None:
    """`person_values` of the fields a service was given, refused as a ValidationError."""
    _, errors = person_values(
        {name: value for name, value in fields.items() if value is not UNSET}, creating=creating
    )
    if errors:
        raise ValidationError(errors)


def person_check_manager(person: Person, manager: Person | None) -> None:
    """Refuse a manager from elsewhere, or one that would close a reporting loop."""
    if manager is None:
        return
    require_same_org(person.organisation_id, "manager", manager)
    if person.pk is None:
        return  # a new person has no reports yet, so no loop can pass through them
    with transaction.atomic():
        # Lock the organisation row so two concurrent manager changes cannot each pass this
        # check and together close a loop; the lock lasts until the caller's write commits.
        Organisation.objects.select_for_update().filter(pk=person.organisation_id).first()
        manager_of = dict(
            Person.objects.filter(organisation_id=person.organisation_id).values_list(
                "id", "manager_id"
            )
        )
    loop = cycle_if_manager_set(manager_of, person.pk, manager.pk)
    if loop:
        names = dict(Person.objects.filter(pk__in=set(loop)).values_list("id", "name"))
        chain = " → ".join(names.get(pid, "?") for pid in loop)
        raise ValidationError(
            {
                "manager": (
                    f"{manager.name} cannot manage {person.name}: the reporting line would "
                    f"go round in a loop ({chain})."
                )
            }
        )


@transaction.atomic
def managers_set(
    *, organisation: Organisation, managers: Mapping[int, int | None], actor: Actor = SYSTEM
) -> None:
    """Give many people (ids) new solid-line managers (ids, or None) at once, as a fix tried
    in a scenario does: one check for loops over the whole organisation instead of one per
    person (each loads everyone's manager: 50,000 rows at L), one write, and the history of
    all of them in one statement. All or nothing: a person from elsewhere, or a move that
    would close a loop (named), refuses every move."""
    if not managers:
        return
    # Locked, like person_check_manager: a concurrent manager change cannot close a loop.
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    manager_of = dict(
        Person.objects.filter(organisation=organisation).values_list("id", "manager_id")
    )
    unknown = sorted({pid for pid in (*managers, *managers.values())
                      if pid is not None and pid not in manager_of})
    if unknown:
        raise ValidationError(
            {"manager": f"No person {', '.join(map(str, unknown))} in {organisation.name}."}
        )
    manager_of.update(managers)
    loops = [loop for loop in loops_in(manager_of) if set(loop) & managers.keys()]
    if loops:
        names = dict(Person.objects.filter(pk__in=set(loops[0])).values_list("id", "name"))
        chain = " → ".join(names.get(pid, "?") for pid in [*loops[0], loops[0][0]])
        raise ValidationError(
            {"manager": f"The reporting lines would go round in a loop ({chain})."}
        )
    ids = list(managers)
    bulk_update(Person, [Person(id=pid, manager_id=managers[pid]) for pid in ids], ["manager"])
    Person.objects.filter(id__in=ids).update(updated_at=timezone.now(), **actor.fields())
    history.record_ids(Person, ids, history.CHANGED, organisation_id=organisation.pk)


def _set_dotted_line(person: Person, managers: Iterable[Person]) -> None:
    managers = list(managers)
    for manager in managers:
        require_same_org(person.organisation_id, "dotted_line_managers", manager)
        if manager.pk == person.pk:
            raise ValidationError(
                {"dotted_line_managers": f"{person.name} cannot be their own manager."}
            )
    person.dotted_line_managers.set(managers)


@transaction.atomic
def person_create(
    *,
    organisation: Organisation,
    name: str,
    external_id: str = "",
    email: str = "",
    user_name: str = "",
    given_name: str = "",
    family_name: str = "",
    title: str = "",
    department: str = "",
    role: str = "other",
    manager: Person | None = None,
    dotted_line_managers: Iterable[Person] = (),
    active: bool = True,
    worker_type: str = WorkerType.EMPLOYEE,
    user_type: str = "",
    level: str = "",
    actor: Actor = SYSTEM,
) -> Person:
    """A new person. `worker_type` is employee or contractor; `user_type` is the identity
    provider's userType as it sent it (only SCIM writes it); `level` the HR job level."""
    _refuse_person_values(
        True, name=name, email=email, title=title, department=department, level=level,
        role=role, active=active, worker_type=worker_type,
    )
    person = Person(
        organisation=organisation,
        name=name,
        external_id=external_id,
        email=email,
        user_name=user_name,
        given_name=given_name,
        family_name=family_name,
        title=title,
        department=department,
        role=role,
        manager=manager,
        active=active,
        worker_type=worker_type,
        user_type=user_type,
        level=level,
    )
    person_check_manager(person, manager)
    validate_instance(person)
    actor.stamp(person)
    if not dotted_line_managers:
        person.save()
        return person
    # One history entry, with the dotted lines: the row needs an id before its lines.
    with history.left_out(person):
        person.save()
        _set_dotted_line(person, dotted_line_managers)
    history.record([person], history.ADDED, organisation_id=person.organisation_id)
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    name: str = UNSET,
    external_id: str = UNSET,
    email: str = UNSET,
    user_name: str = UNSET,
    given_name: str = UNSET,
    family_name: str = UNSET,
    title: str = UNSET,
    department: str = UNSET,
    role: str = UNSET,
    manager: Person | None = UNSET,
    dotted_line_managers: Iterable[Person] = UNSET,
    active: bool = UNSET,
    worker_type: str = UNSET,
    user_type: str = UNSET,
    level: str = UNSET,
    expected_version: str | None = None,
    actor: Actor = SYSTEM,
) -> Person:
    lock_unchanged(person, expected_version)
    _refuse_person_values(
        False, name=name, email=email, title=title, department=department, level=level,
        role=role, active=active, worker_type=worker_type,
    )
    if manager is not UNSET:
        person_check_manager(person, manager)
        person.manager = manager
    fields = {
        "name": name,
        "external_id": external_id,
        "email": email,
        "user_name": user_name,
        "given_name": given_name,
        "family_name": family_name,
        "title": title,
        "department": department,
        "role": role,
        "active": active,
        "worker_type": worker_type,
        "user_type": user_type,
        "level": level,
    }
    for field, value in fields.items():
        if value is not UNSET:
            setattr(person, field, value)
    if person.active:
        person.scim_deleted_at = None  # back in the organisation: provisioned again
    validate_instance(person)
    actor.stamp(person)
    if dotted_line_managers is not UNSET:
        # The lines first, unrecorded: the save's history entry then holds them, one entry.
        with history.left_out(person):
            _set_dotted_line(person, dotted_line_managers)
    person.save()
    return person


@transaction.atomic
def person_deactivate(
    *, person: Person, deprovision: bool = False, actor: Actor = SYSTEM
) -> Person:
    """People who leave stay in the design as inactive: their history and chains remain.

    `deprovision` is an identity provider's delete: SCIM stops serving the person too.
    """
    fields = []
    if person.active:
        person.active = False
        fields.append("active")
    if deprovision and person.scim_deleted_at is None:
        person.scim_deleted_at = timezone.now()
        fields.append("scim_deleted_at")
    if fields:
        actor.stamp(person)
        person.save(update_fields=[*fields, "updated_at", *actor.fields()])
    return person


# Teams and memberships -----------------------------------------------------------------------


def check_team_name(name: str) -> None:
    try:
        validate_team_name(name)
    except ValidationError as error:
        raise ValidationError({"name": error.messages}) from error


@transaction.atomic
def team_create(
    *,
    organisation: Organisation,
    name: str,
    kind: str = "other",
    lead: Person | None = None,
    kpi: str = "",
    kpi_type: str = "",
    external_id: str = "",
    id: int | None = None,
    actor: Actor = SYSTEM,
) -> Team:
    """A new team; `id` is given only to bring back a deleted team from its history, so
    that its history goes on where it stopped."""
    check_team_name(name)
    require_same_org(organisation.id, "lead", lead)
    team = Team(
        id=id, organisation=organisation, name=name, kind=kind, lead=lead, kpi=kpi,
        kpi_type=kpi_type, external_id=external_id,
    )
    validate_instance(team)
    actor.stamp(team)
    team.save()
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    name: str = UNSET,
    kind: str = UNSET,
    lead: Person | None = UNSET,
    kpi: str = UNSET,
    kpi_type: str = UNSET,
    external_id: str = UNSET,
    expected_version: str | None = None,
    actor: Actor = SYSTEM,
) -> Team:
    lock_unchanged(team, expected_version)
    if name is not UNSET:
        check_team_name(name)
        team.name = name
    if lead is not UNSET:
        require_same_org(team.organisation_id, "lead", lead)
        team.lead = lead
    changes = (("kind", kind), ("kpi", kpi), ("kpi_type", kpi_type), ("external_id", external_id))
    for field, value in changes:
        if value is not UNSET:
            setattr(team, field, value)
    validate_instance(team)
    actor.stamp(team)
    team.save()
    return team


@transaction.atomic
def team_delete(
    *, team: Team, expected_version: str | None = None, actor: Actor = SYSTEM
) -> None:
    """Delete a team and its memberships (the people stay). A team engaged in pipelines is
    refused: deleting it would silently empty cells of the matrix. The memberships are
    recorded as deleted with it, so restoring the team brings them back."""
    lock_unchanged(team, expected_version)
    engaged = team.engagements.count()
    if engaged:
        raise ValidationError(
            f"{team.name} is engaged in {engaged} pipeline{'s' if engaged != 1 else ''}: "
            "clear its cells in the matrix first, so no pipeline loses a team unnoticed."
        )
    delete_recorded(
        Membership,
        list(team.memberships.values_list("id", flat=True)),
        organisation_id=team.organisation_id,
        actor=actor,
        reason=WITH_ITS_TEAM,
    )
    actor.stamp(team)
    team.delete()


@transaction.atomic
def membership_set(
    *, person: Person, team: Team, allocation: int, actor: Actor = SYSTEM
) -> Membership:
    """Put a person in a team with an allocation, or change the allocation."""
    if person.organisation_id != team.organisation_id:
        raise ValidationError({"team": f"{team} belongs to another organisation."})
    if not is_allocation(allocation):
        raise ValidationError(
            {"allocation": f"Allocation must be a whole percent from 1 to 100, not {allocation}."}
        )
    membership, _ = Membership.objects.update_or_create(
        person=person, team=team, defaults={"allocation": allocation, **actor.fields()}
    )
    return membership


@transaction.atomic
def membership_remove(*, person: Person, team: Team, actor: Actor = SYSTEM) -> None:
    delete_recorded(
        Membership,
        list(Membership.objects.filter(person=person, team=team).values_list("id", flat=True)),
        organisation_id=person.organisation_id,
        actor=actor,
    )
