"""`Authorization: Bearer <token>`: the one reading of an API token from a request, for every
door that takes tokens (the REST API, the CSV exports, SCIM). Each door turns `BadToken` into
its own 401."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from teams.models import ApiToken
from teams.tokens import token_for_key

# Recording every use would write a row per request; a minute is precise enough to tell
# whether a token is still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)

MALFORMED = "Send the token as 'Authorization: Bearer <token>'."
UNKNOWN = "Unknown or revoked token."


class BadToken(Exception):
    """Bearer credentials that are malformed or name no active token; the message says which."""


def token_from_request(request: HttpRequest) -> ApiToken | None:
    """The active token the request names, with its use recorded; None when the request
    carries no bearer credentials (a logged-in session may still answer). One query, two the
    first time in a minute a token is used."""
    scheme, _, key = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    key = key.strip()
    if not key or len(key.split()) != 1:
        raise BadToken(MALFORMED)
    token = token_for_key(key)
    if token is None:
        raise BadToken(UNKNOWN)
    record_use(token)
    return token


def record_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
