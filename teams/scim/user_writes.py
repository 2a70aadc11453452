"""What a User written by an identity provider asks of a person, as a `UserWrite` in the
services' terms: a POST or PUT read whole (`user_values`, then `for_new_person`,
`for_replacement` or, for someone coming back, as sent), a PATCH read as the difference
between the person's state before and after its operations (`user_state`, `user_changes`).

The fallbacks between attributes live here (docs/design.md section 4):
- userName is the login, any string; the email is the primary address in emails, else the
  work one, else the first, else userName when it is an email;
- the name is displayName, else name.formatted, else name.givenName and name.familyName,
  else userName; the given and family names are kept as sent;
- externalId, else employeeNumber;
- userType is kept as sent, and gives the worker type (`with_worker_type`).
"""

from dataclasses import dataclass, fields, replace
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from scim2_models import InvalidValueException, MutabilityException
from scim2_models import User as LibraryUser

from teams.models import Person, WorkerType, worker_type_of_user_type
from teams.scim.payloads import EnterpriseUserRequest, ManagerRequest, UserRequest


def user_state(person: Person) -> Any:
    """The person as the request model holds them, for PATCH operations to apply to."""
    user = UserRequest(
        id=str(person.pk),
        external_id=person.external_id or None,
        user_name=person.scim_user_name or None,
        name=LibraryUser.Name(
            formatted=person.name,
            given_name=person.given_name or None,
            family_name=person.family_name or None,
        ),
        display_name=person.name,
        title=person.title or None,
        user_type=person.user_type or None,
        active=person.active,
        emails=_emails_state(person.email),
    )
    user[EnterpriseUserRequest] = EnterpriseUserRequest(
        employee_number=person.external_id or None,
        department=person.department or None,
        manager=ManagerRequest(value=str(person.manager_id)) if person.manager_id else None,
    )
    return user


def _emails_state(email: str) -> list | None:
    if not email:
        return None
    try:
        return [LibraryUser.Emails(value=email, type="work", primary=True)]
    except pydantic.ValidationError:
        # Django and the library disagree on a few exotic addresses; nothing is lost: a PATCH
        # that does not write emails leaves the email alone.
        return None


@dataclass
class UserWrite:
    """What a request asks of a person, in the services' terms. Fields left None are not
    asked for; `manager_id` is "" to clear the manager."""

    user_name: str | None = None
    email: str | None = None
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    title: str | None = None
    department: str | None = None
    user_type: str | None = None
    worker_type: str | None = None
    active: bool | None = None
    external_id: str | None = None
    manager_id: str | None = None

    def service_kwargs(self) -> dict:
        return {
            field.name: getattr(self, field.name)
            for field in fields(self)
            if field.name != "manager_id" and getattr(self, field.name) is not None
        }


def _enterprise(user: Any) -> EnterpriseUserRequest | None:
    return user[EnterpriseUserRequest]


def _name_of(user: Any) -> str | None:
    """The person's name from a User: displayName, else name.formatted, else the given and
    family names (Okta sends those alone)."""
    if user.display_name and user.display_name.strip():
        return user.display_name.strip()
    return _name_from_parts(user.name)


def _name_from_parts(name: Any) -> str | None:
    if name is None:
        return None
    if name.formatted and name.formatted.strip():
        return name.formatted.strip()
    return _joined(name)


def _joined(name: Any) -> str | None:
    if name is None:
        return None
    joined = " ".join(part.strip() for part in (name.given_name, name.family_name) if part)
    return joined or None


def _text(value: str | None) -> str | None:
    return value.strip() if value is not None else None


def _user_type(value: str | None) -> str | None:
    """userType as sent (its case and spelling kept: it is served back); blank is none."""
    if value is None:
        return None
    return value if value.strip() else ""


def with_worker_type(write: UserWrite, person: Person | None) -> UserWrite:
    """The worker type a write's userType gives `person` (None: a new person).

    A userType sent makes the person a contractor when it is "Contractor", "Vendor",
    "External" or "Temp" (in any case), else an employee. Removing the userType a person had
    (a PUT without it, a PATCH remove) makes them an employee. A person who never had one
    keeps the worker type another door gave them: an identity provider that never sends
    userType must not undo what the HR sync says on every PUT.
    """
    if write.user_type is None:
        return write
    if write.user_type:
        return replace(write, worker_type=worker_type_of_user_type(write.user_type))
    if person is not None and person.user_type:
        return replace(write, worker_type=WorkerType.EMPLOYEE.value)
    return write


def is_email(value: str | None) -> bool:
    if not value:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _user_name(user: Any) -> str:
    user_name = (user.user_name or "").strip()
    if not user_name:
        raise InvalidValueException(
            detail="userName is required: it is the login the identity provider knows the "
            "person by (an email or a plain login)."
        )
    return user_name


def user_values(user: Any) -> UserWrite:
    """What a POST or PUT of this User sends, attribute by attribute, without fallbacks for
    what it leaves out (see `for_new_person` and `for_replacement`).

    A missing externalId falls back to employeeNumber; a request with neither leaves the
    external id alone: it is the HR key the people sync matches on, and identity providers
    often do not hold it.
    """
    user_name = _user_name(user)
    enterprise = _enterprise(user)
    employee_number = enterprise.employee_number if enterprise else None
    manager = enterprise.manager if enterprise else None
    email = _chosen_email(user.emails) or (user_name if is_email(user_name) else None)
    return UserWrite(
        user_name=user_name,
        email=email,
        name=_name_of(user),
        given_name=_text(user.name.given_name) if user.name else None,
        family_name=_text(user.name.family_name) if user.name else None,
        title=user.title,
        department=_text(enterprise.department) if enterprise else None,
        user_type=_user_type(user.user_type),
        active=user.active,
        external_id=user.external_id if user.external_id is not None else employee_number,
        manager_id=(manager.value or "") if manager is not None else None,
    )


def for_new_person(write: UserWrite) -> UserWrite:
    """A POST creating a person: the name falls back to userName, and what is left out is
    empty; the person is active unless the request says otherwise."""
    return replace(
        for_replacement(write),
        active=True if write.active is None else write.active,
    )


def for_returning_person(write: UserWrite) -> UserWrite:
    """A POST bringing back someone an identity provider deleted: what it sends is written,
    what it leaves out is kept (a minimal POST with userName and externalId must not wipe the
    person's name or manager), and the person is active again unless it says otherwise."""
    return replace(write, active=True if write.active is None else write.active)


def for_replacement(write: UserWrite) -> UserWrite:
    """A PUT: what it leaves out is cleared, except what every person keeps. The name falls
    back to userName; the email and the external id stay as they are when the request has
    none (the HR system may have set them); active stays as it is."""
    return replace(
        write,
        name=write.name or write.user_name,
        given_name=write.given_name or "",
        family_name=write.family_name or "",
        title=write.title or "",
        department=write.department or "",
        user_type=write.user_type or "",
        manager_id=write.manager_id or "",
    )


def user_changes(before: Any, after: Any) -> UserWrite:
    """What a PATCH changed, from the person's state before and after its operations.

    emails: a new address (the primary one, else the work one, else the first) becomes the
    email, as Entra ID sends it as `emails[type eq "work"].value`; removing emails changes
    nothing. When userName changes and the email was the old userName, the email follows it
    (if the new one is an email). displayName wins over name.formatted; a change of the given
    or family name alone changes the name only when the name was made of them. externalId
    wins over employeeNumber.
    """
    changes = UserWrite()
    if after.user_name != before.user_name:
        if not (after.user_name and after.user_name.strip()):
            raise MutabilityException(
                detail="userName cannot be removed: it is the login the identity provider "
                "knows the person by."
            )
        changes.user_name = after.user_name.strip()
    current = _chosen_email(before.emails)
    written = [e for e in after.emails or [] if e.value and str(e.value) != current]
    if written:
        changes.email = _chosen_email(written)
    elif (
        changes.user_name is not None
        and current
        and current.lower() == (before.user_name or "").lower()
        and is_email(changes.user_name)
    ):
        changes.email = changes.user_name

    if changes.email is not None and changes.user_name is None:
        # The login stays what the provider knows, even for someone whose email stood in
        # for it: a new email must not change the userName it looks them up by.
        changes.user_name = before.user_name or ""
    _name_changes(before, after, changes)

    if after.title != before.title:
        changes.title = after.title or ""
    if _user_type(after.user_type) != _user_type(before.user_type):
        changes.user_type = _user_type(after.user_type) or ""
    if after.active != before.active:
        if after.active is None:
            raise MutabilityException(
                detail="active cannot be removed: set it to false to deactivate the person."
            )
        changes.active = after.active

    before_enterprise = _enterprise(before) or EnterpriseUserRequest()
    after_enterprise = _enterprise(after) or EnterpriseUserRequest()
    if after.external_id != before.external_id:
        changes.external_id = after.external_id or ""
    elif after_enterprise.employee_number != before_enterprise.employee_number:
        changes.external_id = after_enterprise.employee_number or ""
    if after_enterprise.department != before_enterprise.department:
        changes.department = (after_enterprise.department or "").strip()

    before_manager = before_enterprise.manager.value if before_enterprise.manager else None
    after_manager = after_enterprise.manager.value if after_enterprise.manager else None
    if (after_manager or None) != (before_manager or None):
        changes.manager_id = after_manager or ""
    return changes


def _name_changes(before: Any, after: Any, changes: UserWrite) -> None:
    before_name = before.name or LibraryUser.Name()
    after_name = after.name or LibraryUser.Name()
    if after_name.given_name != before_name.given_name:
        changes.given_name = (after_name.given_name or "").strip()
    if after_name.family_name != before_name.family_name:
        changes.family_name = (after_name.family_name or "").strip()

    if after.display_name != before.display_name:
        if not (after.display_name and after.display_name.strip()):
            raise MutabilityException(
                detail="displayName cannot be removed: every person has a name."
            )
        changes.name = after.display_name.strip()
    elif after_name.formatted != before_name.formatted and (after_name.formatted or "").strip():
        changes.name = after_name.formatted.strip()
    elif (
        (changes.given_name is not None or changes.family_name is not None)
        and before.display_name == _joined(before_name)
        and _joined(after_name)
    ):
        # The name follows its parts only when it was made of them.
        changes.name = _joined(after_name)


def _chosen_email(emails: list | None) -> str | None:
    if not emails:
        return None
    chosen = (
        next((e for e in emails if e.primary), None)
        or next((e for e in emails if e.type == "work"), None)
        or emails[0]
    )
    return str(chosen.value) if chosen.value else None
