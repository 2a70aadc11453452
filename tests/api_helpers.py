"""Helpers of the API tests: clients holding a token, and the URLs of one organisation."""

from django.utils import timezone
from rest_framework.test import APIClient

from teams.models import ApiToken, Organisation
from teams.tokens import token_create


class TokenClient(APIClient):
    token: ApiToken
    key: str


def token_client(organisation: Organisation, scope: str = "write") -> TokenClient:
    """A client sending a new token of `organisation`. The token counts as just used, so the
    first request does not record its use: query counts stay those of the view."""
    token, key = token_create(organisation=organisation, name=f"tests ({scope})", scope=scope)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    client = TokenClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.token, client.key = token, key
    return client


def api_url(organisation: Organisation, path: str = "") -> str:
    return f"/api/v1/orgs/{organisation.slug}/{path}"
