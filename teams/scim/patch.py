"""PATCH as identity providers send it: the quirks the library does not read are rewritten
first (`normalise_patch`; `normalise_resource` for the same manager quirk in a POST or PUT),
then the operations are applied to a copy of the current state (`apply_patch`).

Operation names in any case, `"active": "False"` and path filters are the library's
business, under the policy of `payloads.POLICY`.
"""

from typing import Any

import pydantic
from scim2_models import (
    Context,
    Error,
    InvalidPathException,
    PatchOp,
    SCIMException,
    ScimPolicy,
)

from teams.scim.filters import check_filter_size
from teams.scim.payloads import POLICY, validated
from teams.scim.schemas import CORE_USER, ENTERPRISE_USER

_MANAGER_PATHS = {f"{ENTERPRISE_USER}:manager".lower(), "manager"}


def normalise_patch(payload: Any) -> Any:
    """A PATCH body with the identity providers' quirks the library does not read rewritten.

    The manager may come as a plain id (`"value": "42"`), in a path-less value under its full
    path or inside the extension (`{"urn:...:User": {"manager": "42"}}`), or empty to clear
    it; a remove of the manager may carry the value it removes (Entra ID). Operation names in
    any case, `"active": "False"` and path filters are the library's business.
    """
    if not isinstance(payload, dict):
        return payload
    operations = payload.get("Operations")
    if not isinstance(operations, list):
        return payload
    return {**payload, "Operations": [_normalise_operation(op) for op in operations]}


def normalise_resource(payload: Any) -> Any:
    """A POST or PUT body with a manager given as a plain id rewritten as {"value": id}."""
    return _normalise_values(payload) if isinstance(payload, dict) else payload


def _normalise_operation(operation: Any) -> Any:
    if not isinstance(operation, dict):
        return operation
    operation = dict(operation)
    path = operation.get("path")
    op = str(operation.get("op", "")).lower()
    if isinstance(path, str) and path.strip().lower() in _MANAGER_PATHS:
        if op == "remove":
            operation.pop("value", None)
        elif "value" in operation:
            value = _manager_value(operation["value"])
            if value is None:
                return {"op": "remove", "path": path}
            operation["value"] = value
    elif path is None and isinstance(operation.get("value"), dict):
        operation["value"] = _normalise_values(operation["value"])
    return operation


def _normalise_values(values: dict) -> dict:
    normalised = {}
    for key, value in values.items():
        if isinstance(key, str) and key.lower() in _MANAGER_PATHS:
            value = _manager_value(value)
        elif isinstance(key, str) and key.lower() == ENTERPRISE_USER.lower() and isinstance(
            value, dict
        ):
            value = {
                sub: _manager_value(sub_value) if sub.lower() == "manager" else sub_value
                for sub, sub_value in value.items()
            }
        normalised[key] = value
    return normalised


def _manager_value(value: Any) -> Any:
    """{"value": id} for a plain id; None (no manager) for an empty one."""
    if isinstance(value, int | str):
        value = str(value).strip()
        return {"value": value} if value else None
    if isinstance(value, dict) and not value.get("value") and not value.get("$ref"):
        return None
    return value


def check_paths(model: type, payload: Any) -> None:
    """Refuse (400 invalidPath) an operation whose path names no attribute of the resource,
    or is longer than a filter may be (`filters.check_filter_size`).

    The lenient policy that lets identity providers write the RFC attributes the design does
    not store (phoneNumbers, addresses...) would otherwise accept any path and change nothing.
    `password` is refused too: people sign in through the identity provider, and a password
    accepted and dropped would let it believe one was set.
    """
    operations = payload.get("Operations") if isinstance(payload, dict) else None
    for operation in operations if isinstance(operations, list) else []:
        path = operation.get("path") if isinstance(operation, dict) else None
        if not isinstance(path, str) or not path.strip():
            continue
        # A path may hold a filter (members[value eq "42"]): bounded like one, unparsed.
        check_filter_size(path, what="path")
        bare = path.strip().lower().removeprefix(CORE_USER.lower() + ":")
        if bare == "password":
            raise InvalidPathException(
                detail="password is not kept: people sign in through your identity provider "
                "(changePassword is not supported)."
            )
        probe = {"Operations": [{"op": "remove", "path": path}]}
        try:
            PatchOp[model].model_validate(
                probe, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=_STRICT
            )
        except pydantic.ValidationError as error:
            if any(e["type"] == "scim_invalidPath" for e in error.errors()):
                raise InvalidPathException(
                    detail=f"{path!r} is not an attribute of this resource."
                ) from error
            # Anything else about the operation is for the full validation to say.


# The strict reading of the specification: unknown attributes refused.
_STRICT = ScimPolicy()


def apply_patch(model: type, state: Any, payload: Any) -> Any:
    """The state after the PATCH operations of `payload`; the state itself is untouched."""
    check_paths(model, payload)
    patch = validated(PatchOp[model], normalise_patch(payload), Context.RESOURCE_PATCH_REQUEST)
    after = state.model_copy(deep=True)
    try:
        patch.patch(after, scim_policy=POLICY)
    except SCIMException as error:
        # A value of the wrong type for its attribute: the library answers with pydantic's
        # whole text; say it as the SCIM error it stands for ("...: title").
        cause = error.__cause__
        if isinstance(cause, pydantic.ValidationError):
            raise SCIMException.from_error(Error.from_validation_errors(cause)[0]) from cause
        raise
    return after
