"""PATCH as identity providers send it: the quirks the library does not read are rewritten
first (`normalise_patch`; `normalise_resource` for the same manager quirk in a POST or PUT),
then the operations are applied to a copy of the current state (`apply_patch`).

Operation names in any case, `"active": "False"` and path filters are the library's
business, under the policy of `payloads.POLICY`.
"""

from typing import Any

from scim2_models import Context, PatchOp

from teams.scim.payloads import POLICY, validated
from teams.scim.schemas import ENTERPRISE_USER

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


def apply_patch(model: type, state: Any, payload: Any) -> Any:
    """The state after the PATCH operations of `payload`; the state itself is untouched."""
    patch = validated(PatchOp[model], normalise_patch(payload), Context.RESOURCE_PATCH_REQUEST)
    after = state.model_copy(deep=True)
    patch.patch(after, scim_policy=POLICY)
    return after
