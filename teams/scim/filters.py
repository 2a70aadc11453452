"""SCIM filters (parsed by scim2-models) as Q objects over Person and Team: which attributes can
be filtered on, with which operators, and the columns they read; and the people and teams a
search selects. An attribute the design does not store compares false.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Contains, EndsWith, Exact, StartsWith
from scim2_models import InvalidFilterException
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
_NOTHING = Q(pk__in=[])
_HAS_LOGIN = ~Q(user_name="") | ~Q(email="")
# userName comparisons, on lower(login else email) as the unique index holds it.
_LOGIN_LOOKUPS = {
    CompareOperator.eq: Exact,
    CompareOperator.co: Contains,
    CompareOperator.sw: StartsWith,
    CompareOperator.ew: EndsWith,
}


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
    return _FilterTranslator(_USER_ATTRIBUTES, lenient).q(node)


def group_filter(node: FilterNode, *, lenient: bool = False) -> Q:
    """The teams a filter selects, as a Q over Team."""
    return _FilterTranslator(_GROUP_ATTRIBUTES, lenient).q(node)


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

    def q(self, node: FilterNode, prefix: str = "") -> Q:
        if isinstance(node, LogicalExpr):
            terms = [self.q(term, prefix) for term in node.terms]
            combined = terms[0]
            for term in terms[1:]:
                combined = combined & term if node.op == LogicalOperator.and_ else combined | term
            return combined
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
            return Q(Exists(Membership.objects.filter(
                team=OuterRef("pk"), person__scim_deleted_at__isnull=True
            )))
        if attribute.kind in ("id", "time"):
            return Q(**{f"{attribute.field}__isnull": False})
        if attribute.kind == "bool":
            return Q()
        if attribute.kind == "login":
            return _HAS_LOGIN
        return ~Q(**{attribute.field: ""})

    def _compare(self, attribute: _Attribute | None, node: Comparison) -> Q:
        op, value = node.op, node.value
        if attribute is None or attribute.field is None:
            # No value to compare: only "not equal" holds.
            return Q() if op == CompareOperator.ne else _NOTHING
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
                return Q(**{field: value})
            if op in _ORDER_LOOKUPS:
                return Q(**{f"{field}__{_ORDER_LOOKUPS[op]}": value})
        elif kind == "bool":
            if op == CompareOperator.eq:
                return Q(**{field: bool(value)})
        elif kind == "id":
            if op == CompareOperator.eq:
                row_id = as_id(value)
                if row_id is None:
                    return _NOTHING
                if field == "member":
                    return Q(
                        Exists(
                            Membership.objects.filter(
                                team=OuterRef("pk"), person_id=row_id,
                                person__scim_deleted_at__isnull=True,
                            )
                        )
                    )
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
