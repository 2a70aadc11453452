"""What a User written by an identity provider asks of a person, as a `UserWrite` in the
services' terms: a POST or PUT read whole (`user_values`), a PATCH read as the difference
between the person's state before and after its operations (`user_state`, `user_changes`).

The fallbacks between attributes live here: displayName, name.formatted, the given and family
names; externalId and employeeNumber; userName and emails.
"""

from dataclasses import dataclass
from typing import Any

import pydantic
from scim2_models import InvalidValueException, MutabilityException
from scim2_models import User as LibraryUser

from teams.models import Person
from teams.scim.payloads import EnterpriseUserRequest, ManagerRequest, UserRequest


def user_state(person: Person) -> Any:
    """The person as the request model holds them, for PATCH operations to apply to."""
    user = UserRequest(
        id=str(person.pk),
        external_id=person.external_id or None,
        user_name=person.email or None,
        name=LibraryUser.Name(formatted=person.name),
        display_name=person.name,
        title=person.title or None,
        active=person.active,
        emails=_emails_state(person.email),
    )
    user[EnterpriseUserRequest] = EnterpriseUserRequest(
        employee_number=person.external_id or None,
        manager=ManagerRequest(value=str(person.manager_id)) if person.manager_id else None,
    )
    return user


def _emails_state(email: str) -> list | None:
    if not email:
        return None
    try:
        return [LibraryUser.Emails(value=email, type="work", primary=True)]
    except pydantic.ValidationError:
        # Django and the library disagree on a few exotic addresses; userName still has it.
        return None


@dataclass
class UserWrite:
    """What a request asks of a person, in the services' terms. Fields left None are not
    asked for; `manager_id` is "" to clear the manager."""

    email: str | None = None
    name: str | None = None
    title: str | None = None
    active: bool | None = None
    external_id: str | None = None
    manager_id: str | None = None

    def service_kwargs(self) -> dict:
        fields = ("email", "name", "title", "active", "external_id")
        return {field: getattr(self, field) for field in fields if getattr(self, field) is not None}


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
    joined = " ".join(part.strip() for part in (name.given_name, name.family_name) if part)
    return joined or None


def user_values(user: Any, *, replacing: bool) -> UserWrite:
    """What a POST (or, `replacing`, a PUT) of this User asks of the person.

    userName is the email. A missing displayName falls back to name.formatted, then to the
    given and family names. A missing externalId falls back to employeeNumber; a request
    with neither leaves the external id alone: it is the HR key the people sync matches on,
    and identity providers often do not hold it. Left out of a PUT, title and manager are
    cleared, active is kept.
    """
    name = _name_of(user)
    if name is None:
        raise InvalidValueException(
            detail="displayName is required: every person has a name (name.formatted, or "
            "name.givenName and name.familyName, are read when it is missing)."
        )
    enterprise = _enterprise(user)
    employee_number = enterprise.employee_number if enterprise else None
    manager = enterprise.manager if enterprise else None
    external_id = user.external_id if user.external_id is not None else employee_number
    return UserWrite(
        email=user.user_name.strip(),
        name=name,
        title=user.title or "",
        active=user.active if user.active is not None else (None if replacing else True),
        external_id=external_id,
        manager_id=(manager.value or "") if manager is not None else "",
    )


def user_changes(before: Any, after: Any) -> UserWrite:
    """What a PATCH changed, from the person's state before and after its operations.

    userName wins over emails: when userName did not change, a new address in emails (the
    work one, else the primary one, else the first) becomes the email, as Entra ID sends it
    as `emails[type eq "work"].value`; removing emails changes nothing. displayName wins over
    name.formatted, which wins over the given and family names. externalId wins over
    employeeNumber. department, and the attributes the design does not store, change nothing.
    """
    changes = UserWrite()
    if after.user_name != before.user_name:
        if not after.user_name:
            raise MutabilityException(detail="userName is required: it is the person's email.")
        changes.email = after.user_name.strip()
    else:
        current = _chosen_email(before.emails)
        written = [e for e in after.emails or [] if e.value and str(e.value) != current]
        if written:
            changes.email = _chosen_email(written)

    if after.display_name != before.display_name:
        if not (after.display_name and after.display_name.strip()):
            raise MutabilityException(
                detail="displayName cannot be removed: every person has a name."
            )
        changes.name = after.display_name.strip()
    elif after.name != before.name:
        name = _name_from_parts(after.name)
        if name is not None and name != before.display_name:
            changes.name = name

    if after.title != before.title:
        changes.title = after.title or ""
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

    before_manager = before_enterprise.manager.value if before_enterprise.manager else None
    after_manager = after_enterprise.manager.value if after_enterprise.manager else None
    if (after_manager or None) != (before_manager or None):
        changes.manager_id = after_manager or ""
    return changes


def _chosen_email(emails: list | None) -> str | None:
    if not emails:
        return None
    chosen = (
        next((e for e in emails if e.type == "work"), None)
        or next((e for e in emails if e.primary), None)
        or emails[0]
    )
    return str(chosen.value) if chosen.value else None
