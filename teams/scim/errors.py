"""SCIM refusals and how they answer: the HTTP-level exceptions scim2-models does not have (405,
415), a service's refusal as the SCIM error it stands for (`service_errors`: 409 uniqueness,
412 changed version, 400 invalidValue), and any SCIM exception as an Error response
(`error_response`).
"""

from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import HttpResponse
from scim2_models import (
    InvalidValueException,
    PreconditionFailedException,
    SCIMException,
    UniquenessException,
)

from teams.scim.responses import scim_response
from teams.services import ConflictError


class MethodNotAllowed(SCIMException):
    status = 405
    _default_detail = "This endpoint does not answer this method."


class TooManyRequests(SCIMException):
    status = 429
    _default_detail = (
        "Too many requests for this token: wait for the time Retry-After says, then retry."
    )


class UnsupportedMediaType(SCIMException):
    status = 415
    _default_detail = "Send JSON, as application/scim+json or application/json."


_UNIQUENESS_CODES = {
    "email_taken", "external_id_taken", "user_name_taken", "unique", "unique_together",
}
_SCIM_NAMES = {
    "user_name": "userName",
    "email": "emails",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "department": "department",
    "external_id": "externalId",
    "name": "displayName",
    "manager": "manager",
    "title": "title",
    "user_type": "userType",
    "worker_type": "userType",
}


@contextmanager
def service_errors(*, resource: str = "User"):
    """A service's refusal as the SCIM error it stands for: a taken userName, externalId or
    team name 409 (uniqueness), a changed version 412, any other refusal (a manager loop
    among them, with the service's message) 400 invalidValue."""
    try:
        yield
    except ConflictError as error:
        raise PreconditionFailedException(
            detail="The resource changed since you read it. Nothing was changed: read it again "
            "and retry."
        ) from error
    except DjangoValidationError as error:
        raise _scim_exception(error, resource) from error
    except IntegrityError as error:
        # Two requests raced for the same userName, externalId or name.
        raise UniquenessException(
            detail=f"Another {resource} already has this value."
        ) from error


def _scim_exception(error: DjangoValidationError, resource: str) -> SCIMException:
    if not hasattr(error, "error_dict"):
        return InvalidValueException(detail=" ".join(error.messages))
    messages = []
    uniqueness = False
    for field, errors in error.error_dict.items():
        name = _SCIM_NAMES.get(field, field)
        for field_error in errors:
            uniqueness = uniqueness or field_error.code in _UNIQUENESS_CODES
            text = " ".join(field_error.messages)
            messages.append(text if field == NON_FIELD_ERRORS else f"{name}: {text}")
    detail = " ".join(messages)
    if uniqueness:
        return UniquenessException(detail=detail)
    return InvalidValueException(detail=detail)


def error_response(error: SCIMException) -> HttpResponse:
    response = scim_response(error.to_error().model_dump(), status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response
