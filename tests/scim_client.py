"""A client of /scim/v2/ for the tests, and the SCIM message schemas they check."""

import json

from django.test import Client

from teams.scim import schemas as scim

USER = scim.CORE_USER
GROUP = scim.CORE_GROUP
ENTERPRISE = scim.ENTERPRISE_USER
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


class Scim:
    """A client of /scim/v2/ with a token: JSON in, JSON out."""

    def __init__(self, key: str | None, client: Client | None = None):
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def _send(self, method, path, body=None, headers=None, content_type="application/scim+json"):
        kwargs = {"headers": {**self.headers, **(headers or {})}}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = content_type
        return getattr(self.client, method)(f"/scim/v2/{path}", **kwargs)

    def get(self, path, params=None, headers=None):
        return self.client.get(
            f"/scim/v2/{path}", params or {}, headers={**self.headers, **(headers or {})}
        )

    def post(self, path, body, **kwargs):
        return self._send("post", path, body, **kwargs)

    def put(self, path, body, **kwargs):
        return self._send("put", path, body, **kwargs)

    def patch(self, path, operations, **kwargs):
        return self._send("patch", path, {"schemas": [PATCH_OP], "Operations": operations},
                          **kwargs)

    def delete(self, path, **kwargs):
        return self._send("delete", path, **kwargs)


def new_user(**fields) -> dict:
    return {"schemas": [USER], **fields}


def error_of(response) -> dict:
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(response.status_code)
    return body
