"""API tokens: created and revoked here, checked by the API's authentication."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from teams.models import ApiToken, Organisation, TokenScope

KEY_PREFIX = "od_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, organisation: Organisation, name: str, scope: str = TokenScope.READ, created_by=None
) -> tuple[ApiToken, str]:
    """A new token and its key. The key is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name that says who uses it."})
    if scope not in TokenScope.values:
        raise ValidationError({"scope": f"Scope must be one of {', '.join(TokenScope.values)}."})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organisation=organisation,
        name=name[:100],
        scope=scope,
        key_prefix=key[:10],
        key_hash=hash_key(key),
        created_by=created_by,
    )
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_for_key(key: str) -> ApiToken | None:
    """The active token with this key, or None. One query."""
    if not key.startswith(KEY_PREFIX):
        return None
    return (
        ApiToken.objects.select_related("organisation")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
