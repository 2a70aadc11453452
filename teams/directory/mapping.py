"""Which directory attribute each of our fields comes from, and a directory user read into a
record of the people sync (`teams.sync`). Pure: no query, no request.

Entra ID's attributes are the user's properties in Microsoft Graph (`employeeId`,
`jobTitle`, ...); the manager is a directory relationship, not an attribute, so it is not
mapped. Okta's are paths into the user (`profile.employeeNumber`); its manager is an
attribute (`profile.managerId` by default), which may hold the manager's Okta id, login,
email or employee number: `pull.py` resolves each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from teams.models import DirectoryKind, worker_type_of_user_type

# Our fields, in the order the page shows them, with what they mean.
FIELDS = {
    "external_id": "Employee id (the person's external id)",
    "name": "Display name",
    "email": "Email",
    "login": "Sign-in name",
    "title": "Job title",
    "department": "Department",
    "worker_type": "Employee type (a contractor's word makes a contractor)",
    "manager": "Manager",
}

DEFAULTS = {
    DirectoryKind.ENTRA: {
        "external_id": "employeeId",
        "name": "displayName",
        "email": "mail",
        "login": "userPrincipalName",
        "title": "jobTitle",
        "department": "department",
        "worker_type": "employeeType",
    },
    DirectoryKind.OKTA: {
        "external_id": "profile.employeeNumber",
        "name": "profile.displayName",
        "email": "profile.email",
        "login": "profile.login",
        "title": "profile.title",
        "department": "profile.department",
        "worker_type": "profile.userType",
        "manager": "profile.managerId",
    },
}

# Graph property names, or Okta paths of at most three names: they go into URLs ($select).
ATTRIBUTE = {
    DirectoryKind.ENTRA: re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}"),
    DirectoryKind.OKTA: re.compile(
        r"[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,2}"),
}
# The fields a mapping may leave empty (not pulled). The name and the key are needed.
REQUIRED = ("name",)


def mapped_fields(kind: str) -> list[str]:
    """The fields an admin maps for this kind of directory."""
    return [name for name in FIELDS if name in DEFAULTS[kind]]


def mapping_of(kind: str, saved: dict | None) -> dict[str, str]:
    """The connector's mapping: its saved choices over the directory's defaults."""
    mapping = dict(DEFAULTS[kind])
    for name, attribute in (saved or {}).items():
        if name in mapping:
            mapping[name] = attribute
    return mapping


def mapping_problems(kind: str, mapping: dict[str, str]) -> dict[str, str]:
    """What is wrong with a mapping, by field: an attribute that is not a name of the
    directory's, a required field left out, a field we do not have."""
    problems = {}
    allowed = mapped_fields(kind)
    for name, attribute in mapping.items():
        if name not in allowed:
            problems[name] = f"{name!r} is not a field a {kind} directory maps."
        elif not attribute:
            if name in REQUIRED:
                problems[name] = "The name must come from an attribute."
        elif not ATTRIBUTE[kind].fullmatch(attribute):
            example = "employeeId" if kind == DirectoryKind.ENTRA else "profile.employeeNumber"
            problems[name] = (f"{attribute[:80]!r} is not an attribute name "
                              f"(for example {example}).")
    return problems


def graph_select(mapping: dict[str, str]) -> str:
    """Graph's `$select`: the mapped properties, the id, and the manager relationship (its
    changes come back as `manager@delta`)."""
    # userType too: guests (B2B) are left out.
    names = ["id", *sorted({a for a in mapping.values() if a and a != "id"} | {"userType"}),
             "manager"]
    return ",".join(names)


MISSING = object()


def value_at(user: dict, path: str) -> Any:
    """The attribute at a dotted path, or `MISSING` when the user does not carry it (in a
    Graph delta round, an unchanged property is left out)."""
    value: Any = user
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


@dataclass
class DirectoryUser:
    """One user as the directory reported it."""

    id: str
    attributes: dict = field(default_factory=dict)
    # Removed from the directory (Graph `@removed`) or deprovisioned (Okta).
    removed: bool = False
    # The manager's reference (an Entra object id, or what Okta's manager attribute holds);
    # None when the directory cleared it; Ellipsis when it did not say.
    manager: Any = ...


def text(value: Any) -> str:
    if value is None or value is MISSING:
        return ""
    return str(value).strip()


def key_of(user: DirectoryUser, mapping: dict[str, str]) -> str:
    """The external id a new directory user gets: the mapped attribute, else the
    directory's own id (a tenant without employee ids)."""
    attribute = mapping.get("external_id")
    return (text(value_at(user.attributes, attribute)) if attribute else "") or user.id


def login_of(user: DirectoryUser, mapping: dict[str, str]) -> str:
    attribute = mapping.get("login")
    return text(value_at(user.attributes, attribute)).lower() if attribute else ""


def fields_of(user: DirectoryUser, mapping: dict[str, str], kind: str) -> dict[str, Any]:
    """The sync fields the user sets: only those the directory reported (an absent one is
    left as it is); an email falls back to the sign-in name when that is an address."""
    record: dict[str, Any] = {}
    for name in ("name", "email", "title", "department"):
        attribute = mapping.get(name)
        if not attribute:
            continue
        value = value_at(user.attributes, attribute)
        if value is not MISSING:
            record[name] = text(value)
    if not record.get("name") and kind == DirectoryKind.OKTA:
        # Okta's displayName is optional; its first and last names are not.
        first = text(value_at(user.attributes, "profile.firstName"))
        last = text(value_at(user.attributes, "profile.lastName"))
        if first or last:
            record["name"] = f"{first} {last}".strip()
    if "name" in record and not record["name"]:
        del record["name"]  # never blank a name: the sync would refuse the whole run
    if "email" in record and not record["email"]:
        login = login_of(user, mapping)
        if "@" in login:
            record["email"] = login
    attribute = mapping.get("worker_type")
    if attribute:
        value = text(value_at(user.attributes, attribute))
        if value:
            # An employee type left empty says nothing: it does not undo a contractor.
            record["worker_type"] = worker_type_of_user_type(value)
    return record
