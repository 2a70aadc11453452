"""SCIM filters (parsed by scim2-models) as Q objects over Person and Team: which attributes can
be filtered on, with which operators, and the columns they read; and the people and teams a
search selects. An attribute the design does not store compares false.

A filter is bounded before it is parsed (`check_filter_size`: ORGDESIGN_SCIM_FILTER_MAX_CHARS
characters, ORGDESIGN_SCIM_FILTER_MAX_TERMS comparisons), and a value no column can take (a
NUL, a lone surrogate, a date and time out of range) is refused as invalidFilter, before any
query: each would otherwise fail in the database, a 500.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Contains, EndsWith, Exact, StartsWith
from django.utils.dateparse import parse_datetime
from scim2_models import InvalidFilterException, InvalidPathException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from orgdesign.web.inputs import text_problem
from teams.models import Membership, Organisation, scim_user_name_expression
from teams.scim.schemas import CORE_GROUP, CORE_USER, ENTERPRISE_USER
from teams.scim.users import as_id, visible_people


@dataclass(frozen=True)
class _Attribute:
    """How one SCIM attribute is found in the database."""

    field: str | None  # None: the design has no such value, a comparison never matches
    # "text" (any case), "exact" (case exact), "email", "login" (userName), "id", "bool", "time"
    kind: str


_USER_ATTRIBUTES = {
    "id": _Attribute("pk", "id"),
    "username": _Attribute("user_name", "login"),
    "externalid": _Attribute("external_id", "exact"),
    "displayname": _Attribute("name", "text"),
    "name.formatted": _Attribute("name", "text"),
    "name.givenname": _Attribute("given_name", "text"),
    "name.familyname": _Attribute("family_name", "text"),
    "title": _Attribute("title", "text"),
    "usertype": _Attribute("user_type", "text"),
    "active": _Attribute("active", "bool"),
    "emails": _Attribute("email", "email"),
    "emails.value": _Attribute("email", "email"),
    "meta.created": _Attribute("created_at", "time"),
    "meta.lastmodified": _Attribute("updated_at", "time"),
    "enterprise:employeenumber": _Attribute("external_id", "exact"),
    "enterprise:department": _Attribute("department", "text"),
    "enterprise:manager": _Attribute("manager_id", "id"),
    "enterprise:manager.value": _Attribute("manager_id", "id"),
}

_GROUP_ATTRIBUTES = {
    "id": _Attribute("pk", "id"),
    "displayname": _Attribute("name", "exact"),
    "externalid": _Attribute("external_id", "exact"),
    "members": _Attribute("member", "id"),
    "members.value": _Attribute("member", "id"),
    "meta.created": _Attribute("created_at", "time"),
    "meta.lastmodified": _Attribute("updated_at", "time"),
}

_TEXT_LOOKUPS = {
    CompareOperator.co: "contains",
    CompareOperator.sw: "startswith",
    CompareOperator.ew: "endswith",
}
_ORDER_LOOKUPS = {
    CompareOperator.gt: "gt",
    CompareOperator.ge: "gte",
    CompareOperator.lt: "lt",
    CompareOperator.le: "lte",
}
# False and true: Q() is no condition at all, which an "or" drops.
_NOTHING = Q(pk__in=[])
_EVERYTHING = ~Q(pk__in=[])
_HAS_LOGIN = ~Q(user_name="") | ~Q(email="")
# A team with a member that SCIM serves.
_HAS_MEMBERS = Q(
    Exists(Membership.objects.filter(team=OuterRef("pk"), person__scim_deleted_at__isnull=True))
)
# userName comparisons, on lower(login else email) as the unique index holds it.
_LOGIN_LOOKUPS = {
    CompareOperator.eq: Exact,
    CompareOperator.co: Contains,
    CompareOperator.sw: StartsWith,
    CompareOperator.ew: EndsWith,
}


# The defaults of settings.ORGDESIGN_SCIM_FILTER_MAX_CHARS and _MAX_TERMS. Identity providers
# send one or two comparisons (userName eq "...", externalId eq "..."); 100 joined by "or"
# take about 2,000 characters.
MAX_FILTER_CHARS = 2000
MAX_FILTER_TERMS = 100

# One pass over the filter, without parsing it: its string literals (JSON strings, an
# unterminated one running to the end, so that the scan never backtracks) are skipped, and
# every comparison operator standing as a word outside them is a term ("pr" included).
_FILTER_SCAN = re.compile(
    r'"(?:[^"\\]|\\.)*"?'
    r"|(?<![\w$.:-])(?:eq|ne|co|sw|ew|gt|lt|ge|le|pr)(?![\w$.:-])",
    re.IGNORECASE,
)


def check_filter_size(expression: Any, *, what: str = "filter") -> None:
    """Refuse (400 invalidFilter) a filter longer than ORGDESIGN_SCIM_FILTER_MAX_CHARS or
    with more comparisons than ORGDESIGN_SCIM_FILTER_MAX_TERMS, before it is parsed: the
    parser and the query a filter makes grow with it, faster than linearly (32,000 terms held
    a worker for 107 s). The count is one linear scan of a text already bounded in length.
    `what`: "path" for a PATCH path, which may hold a filter (then 400 invalidPath)."""
    if not isinstance(expression, str):
        return  # not a filter: the search request's validation refuses it
    refusal = InvalidFilterException if what == "filter" else InvalidPathException
    max_chars = getattr(settings, "ORGDESIGN_SCIM_FILTER_MAX_CHARS", MAX_FILTER_CHARS)
    max_terms = getattr(settings, "ORGDESIGN_SCIM_FILTER_MAX_TERMS", MAX_FILTER_TERMS)
    if len(expression) > max_chars:
        raise refusal(
            detail=f"The {what} is {len(expression)} characters long: at most {max_chars} "
            "are taken. Send a shorter one, or several requests."
        )
    terms = sum(1 for match in _FILTER_SCAN.finditer(expression) if match[0][0] != '"')
    if terms > max_terms:
        raise refusal(
            detail=f"The {what} makes {terms} comparisons: at most {max_terms} are taken. "
            "Send fewer, or several requests."
        )


# The dates and times a filter may compare with: years 1 to 9998 once in UTC. Python's and
# the databases' dates end with the year 9999, where converting between time zones
# overflows; no row of the design was written at either end.
_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _moment(attr_path: AttrPath, value: Any) -> datetime:
    """A filter's date and time (RFC 7643 2.3.5: xsd:dateTime, "2024-05-13T04:42:34Z";
    without an offset, UTC), or 400 invalidFilter."""
    parsed = None
    if isinstance(value, str) and len(value) <= 64:
        try:
            # ISO 8601, with up to 12 digits of a second (.NET sends 7).
            parsed = parse_datetime(value)
        except ValueError:  # well formed, but no such date ("2024-02-30")
            parsed = None
    if parsed is not None:
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        try:
            parsed = parsed.astimezone(UTC)
        except OverflowError:
            parsed = None
    if parsed is None or not _EARLIEST <= parsed < _LATEST:
        raise InvalidFilterException(
            detail=f"{attr_path} compares with a date and time such as "
            '"2024-05-13T04:42:34Z", from the year 1 to 9998: '
            f"{_shown(value)} is none."
        )
    return parsed


def _shown(value: Any) -> str:
    """A value of a filter as an error message shows it: quoted, cut, and only text."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _attribute_key(attr_path: AttrPath) -> str:
    uri = (attr_path.uri or "").lower()
    key = attr_path.attr.lower()
    if attr_path.sub_attr:
        key = f"{key}.{attr_path.sub_attr.lower()}"
    if uri == ENTERPRISE_USER.lower():
        return f"enterprise:{key}"
    if uri and uri not in (CORE_USER.lower(), CORE_GROUP.lower()):
        return f"{uri}:{key}"
    return key


def user_filter(node: FilterNode, *, lenient: bool = False) -> Q:
    """The people a filter selects, as a Q over Person."""
    return _FilterTranslator(_USER_ATTRIBUTES, lenient).translate(node)


def group_filter(node: FilterNode, *, lenient: bool = False) -> Q:
    """The teams a filter selects, as a Q over Team."""
    return _FilterTranslator(_GROUP_ATTRIBUTES, lenient).translate(node)


def selected_people(organisation: Organisation, search: Any, *, lenient: bool = False):
    """The people SCIM serves that a search's filter selects."""
    people = visible_people(organisation)
    if search.filter is not None:
        people = people.filter(user_filter(search.filter.ast, lenient=lenient))
    return people


def teams_filter(search: Any, *, lenient: bool = False) -> Q:
    """The teams a search's filter selects, as a Q over Team (all of them without one)."""
    if search.filter is None:
        return Q()
    return group_filter(search.filter.ast, lenient=lenient)


class _FilterTranslator:
    """A filter tree as a Q. `lenient`: an attribute this resource type does not have
    compares false (a search over several types, RFC 7644 3.4.2.1) instead of being refused.
    """

    def __init__(self, attributes: dict[str, _Attribute], lenient: bool):
        self.attributes = attributes
        self.lenient = lenient
        self.teams_of: dict[int, list[int]] = {}
        self.has_members = _HAS_MEMBERS

    def translate(self, node: FilterNode) -> Q:
        """The filter as a Q, with a fixed number of subqueries whatever its size (a
        PostgreSQL plan grows faster than the number of subqueries: 100 of them, two to ten
        seconds):

        - the teams of the users that `members eq` names are read first, in one query, and
          compared as lists of ids;
        - "members pr" (the team has a member), however often the filter says it, is one
          EXISTS twice: F is (M and F with M true) or (not M and F with M false)."""
        members, present = self._member_terms(node)
        if members:
            rows = Membership.objects.filter(
                person_id__in=members, person__scim_deleted_at__isnull=True
            ).values_list("person_id", "team_id")
            for person_id, team_id in rows:
                self.teams_of.setdefault(person_id, []).append(team_id)
        if present < 2:
            return self.q(node)
        self.has_members = _EVERYTHING
        if_members = self.q(node)
        self.has_members = _NOTHING
        if_none = self.q(node)
        return Q(
            Q(_HAS_MEMBERS, if_members), Q(~_HAS_MEMBERS, if_none), _connector=Q.OR
        )

    def _member_terms(self, node: FilterNode) -> tuple[set[int], int]:
        """The user ids the filter compares members with, and how many times it asks whether
        a team has members (a walk without recursion)."""
        found, present = set(), 0
        pending = [(node, "")]
        while pending:
            node, prefix = pending.pop()
            if isinstance(node, LogicalExpr):
                pending.extend((term, prefix) for term in node.terms)
            elif isinstance(node, Not):
                pending.append((node.expr, prefix))
            elif isinstance(node, ValuePath):
                pending.append((node.val_filter, _attribute_key(node.attr_path) + "."))
            elif isinstance(node, Present | Comparison):
                attribute = self.attributes.get(prefix + _attribute_key(node.attr_path))
                if attribute is None or attribute.field != "member":
                    continue
                if isinstance(node, Present):
                    present += 1
                elif (row_id := as_id(node.value)) is not None:
                    found.add(row_id)
        return found, present

    def q(self, node: FilterNode, prefix: str = "") -> Q:
        if isinstance(node, LogicalExpr):
            # One Q of all the terms: combining them two by two copies the growing tree at
            # each step, quadratic in the number of terms.
            connector = Q.AND if node.op == LogicalOperator.and_ else Q.OR
            return Q(*(self.q(term, prefix) for term in node.terms), _connector=connector)
        if isinstance(node, Not):
            return ~self.q(node.expr, prefix)
        if isinstance(node, ValuePath):
            return self.q(node.val_filter, prefix=_attribute_key(node.attr_path) + ".")
        if isinstance(node, Present):
            return self._present(self._attribute(node.attr_path, prefix))
        if isinstance(node, Comparison):
            return self._compare(self._attribute(node.attr_path, prefix), node)
        raise InvalidFilterException(detail=f"This filter is not supported: {node}")

    def _attribute(self, attr_path: AttrPath, prefix: str) -> _Attribute | None:
        key = prefix + _attribute_key(attr_path)
        if key == "emails.type":
            return _Attribute("email", "work_email")
        if key == "emails.primary":
            return _Attribute("email", "primary_email")
        attribute = self.attributes.get(key)
        if attribute is None and not self.lenient:
            raise InvalidFilterException(
                detail=f"Filtering on {str(attr_path)!r} is not supported. Filter on: "
                + ", ".join(sorted(self.attributes))
                + "."
            )
        return attribute

    def _present(self, attribute: _Attribute | None) -> Q:
        if attribute is None or attribute.field is None:
            return _NOTHING
        if attribute.field == "member":
            return self.has_members
        if attribute.kind in ("id", "time"):
            return Q(**{f"{attribute.field}__isnull": False})
        if attribute.kind == "bool":
            return _EVERYTHING
        if attribute.kind == "login":
            return _HAS_LOGIN
        return ~Q(**{attribute.field: ""})

    def _compare(self, attribute: _Attribute | None, node: Comparison) -> Q:
        op, value = node.op, node.value
        if isinstance(value, str) and (problem := text_problem(value)):
            # A \u0000 or \ud800 escape in the filter's string: no column holds it, and
            # the database would fail on it.
            raise InvalidFilterException(
                detail=f"The value compared with {node.attr_path} {problem}."
            )
        if attribute is None or attribute.field is None:
            # No value to compare: only "not equal" holds.
            return _EVERYTHING if op == CompareOperator.ne else _NOTHING
        if op == CompareOperator.ne:
            return ~self._compare(attribute, Comparison(node.attr_path, CompareOperator.eq, value))
        kind, field = attribute.kind, attribute.field
        if kind in ("work_email", "primary_email"):
            # The email is the one work, primary address.
            wanted = "work" if kind == "work_email" else True
            if op != CompareOperator.eq:
                raise InvalidFilterException(detail=f"{node.attr_path} takes eq only.")
            matches = str(value).lower() == "work" if kind == "work_email" else value is wanted
            return ~Q(email="") if matches else _NOTHING
        if kind == "time":
            if op == CompareOperator.eq:
                return Q(**{field: _moment(node.attr_path, value)})
            if op in _ORDER_LOOKUPS:
                return Q(**{f"{field}__{_ORDER_LOOKUPS[op]}": _moment(node.attr_path, value)})
        elif kind == "bool":
            if op == CompareOperator.eq:
                return Q(**{field: bool(value)})
        elif kind == "id":
            if op == CompareOperator.eq:
                row_id = as_id(value)
                if row_id is None:
                    return _NOTHING
                if field == "member":
                    # Read by `translate`: the teams of this user.
                    return Q(pk__in=self.teams_of.get(row_id, []))
                return Q(**{field: row_id})
        elif kind == "login" and isinstance(value, str):
            if op in _LOGIN_LOOKUPS:
                # The index is partial (people with a login or an email): saying so lets
                # PostgreSQL use it for the lookups identity providers make before each write.
                # Both sides lowered by the database, which folds case its own way (SQLite
                # only ASCII): the same rule as the unique index.
                return Q(
                    _LOGIN_LOOKUPS[op](Lower(scim_user_name_expression()), Lower(Value(value)))
                ) & _HAS_LOGIN
        elif isinstance(value, str):
            case = "" if kind == "exact" else "i"
            if op == CompareOperator.eq:
                if kind == "email":
                    # lower(email) = ..., as the (organisation, lower(email)) index reads it.
                    return Q(Exact(Lower("email"), value.lower()))
                return Q(**{f"{field}__{case}exact" if case else field: value})
            if op in _TEXT_LOOKUPS:
                return Q(**{f"{field}__{case}{_TEXT_LOOKUPS[op]}": value})
        raise InvalidFilterException(
            detail=f"The operator {op.value} is not supported on {node.attr_path}."
        )
