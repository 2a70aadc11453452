"""Local fakes of Microsoft Graph (with its token authority) and of Okta's Users API that
answer as their vendors document: Graph's users delta paged by `@odata.nextLink` and ending on
an `@odata.deltaLink`, `@removed` users, `manager@delta`, only the changed properties in a
delta round, 429 with `Retry-After`, an expired token's 401, 410 for a delta token it no
longer knows; Okta's users paged by the `Link` header, `search=lastUpdated gt "..."` finding
deprovisioned users (a plain listing leaves them out), `SSWS` tokens, 429 with
`X-Rate-Limit-Reset`. Served by pytest-httpserver, over https with a certificate of a local
authority (trustme) that the tests' `REQUESTS_CA_BUNDLE` trusts, or over plain http.

`python -m tests.directory_fakes` serves both with a demo directory, for the README's walk
through the connectors page.
"""

from __future__ import annotations

import base64
import bisect
import datetime
import itertools
import json
import re
import ssl
import threading
import time
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

GRAPH_SELECTABLE = ("displayName", "givenName", "surname", "mail", "userPrincipalName",
                    "jobTitle", "department", "employeeId", "employeeType", "accountEnabled",
                    "userType")


def certificate_authority(directory) -> tuple[ssl.SSLContext, str]:
    """A local certificate authority: the server's TLS context, and the CA file a client
    trusts (`REQUESTS_CA_BUNDLE`)."""
    import trustme

    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    path = directory / "fake-directory-ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return context, str(path)


def _json(data, status=200, headers=None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers or {},
                    content_type="application/json")


class _Fake:
    """What both fakes share: a server answering every path through `handle`, throttling
    on demand, and a log of the requests it answered."""

    def __init__(self, context: ssl.SSLContext | None = None):
        self.server = HTTPServer(host="localhost", port=0, ssl_context=context, threaded=True)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.lock = threading.Lock()
        self.throttles: list[dict] = []  # headers of the 429s still to answer
        self.requests: list[str] = []  # method and path with query of each request
        self.broken_pages = 0  # answer this many pages with text that is not JSON

    def start(self):
        self.server.start()
        return self

    def stop(self):
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def throttle(self, times: int = 1, **headers) -> None:
        self.throttles.extend([headers] * times)

    def _handle(self, request: Request) -> Response:
        with self.lock:
            self.requests.append(f"{request.method} {request.full_path.rstrip('?')}")
            return self.handle(request)

    def throttled(self, body) -> Response | None:
        if not self.throttles:
            return None
        return _json(body, status=429, headers=self.throttles.pop(0))


class FakeGraph(_Fake):
    """Microsoft Entra ID: the token authority of one tenant and Graph's users."""

    def __init__(self, *, tenant="contoso-tenant", client_id="orgdesign-app",
                 secret="graph-client-secret", context=None):
        super().__init__(context)
        self.tenant, self.client_id, self.secret = tenant, client_id, secret
        self.users: dict[str, dict] = {}  # id -> properties (and "manager")
        self.deleted: set[str] = set()
        self.groups: dict[str, set[str]] = {}
        # The change log: (sequence, user id, changed property names or "removed").
        self.log: list[tuple[int, str, object]] = []
        self.sequence = itertools.count(1)
        self.tokens: dict[str, bool] = {}  # issued token -> still valid
        self.forgotten = False  # answer 410 to every delta token issued so far
        self.page_size = 100
        # A round's items, kept while the directory does not change (a 50,000-user
        # directory is paged 999 at a time: recomputing each page would time the fake).
        self.cache: dict[tuple, list[dict]] = {}

    # Changing the directory ------------------------------------------------------------

    def add(self, user_id: str, *, manager: str | None = None, **properties) -> None:
        self.cache.clear()
        self.users[user_id] = {"id": user_id, **properties, "manager": manager}
        self.deleted.discard(user_id)
        self.log.append((next(self.sequence), user_id, {*properties, "manager"}))

    def change(self, user_id: str, **properties) -> None:
        self.cache.clear()
        self.users[user_id].update(properties)
        self.log.append((next(self.sequence), user_id, set(properties)))

    def remove(self, user_id: str) -> None:
        self.cache.clear()
        self.deleted.add(user_id)
        self.log.append((next(self.sequence), user_id, "removed"))

    def expire_tokens(self) -> None:
        for token in self.tokens:
            self.tokens[token] = False

    # Answering --------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        base = f"/{self.tenant}"
        if path == f"{base}/v2.0/.well-known/openid-configuration":
            return _json({
                "token_endpoint": f"{self.url}{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{self.url}{base}/oauth2/v2.0/authorize",
                "issuer": f"{self.url}{base}/v2.0",
                "response_types_supported": ["code", "id_token", "token"],
            })
        if path == f"{base}/oauth2/v2.0/token" and request.method == "POST":
            return self.token(request)
        if path.endswith("/oauth2/v2.0/token") or "/.well-known/" in path:
            return _json({"error": "invalid_tenant", "error_description":
                          "AADSTS90002: Tenant not found."}, status=400)
        if not path.startswith("/v1.0/"):
            return _json({"error": {"code": "BadRequest"}}, status=404)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not self.tokens.get(token):
            message = ("Lifetime validation failed, the token is expired." if token in self.tokens
                       else "Access token is empty.")
            return _json({"error": {"code": "InvalidAuthenticationToken", "message": message}},
                         status=401)
        throttled = self.throttled({"error": {"code": "TooManyRequests", "message":
                                              "Too many requests."}})
        if throttled is not None:
            return throttled
        if self.broken_pages:
            self.broken_pages -= 1
            return Response("<html>upstream error</html>", status=200,
                            content_type="text/html")
        if path == "/v1.0/users/delta":
            return self.delta(request)
        match = re.fullmatch(r"/v1\.0/groups/([^/]+)/transitiveMembers/microsoft\.graph\.user",
                             path)
        if match:
            return self.members(request, match.group(1))
        match = re.fullmatch(r"/v1\.0/users/([^/]+)", path)
        if match:
            return self.one_user(request, match.group(1))
        return _json({"error": {"code": "Request_ResourceNotFound"}}, status=404)

    def token(self, request: Request) -> Response:
        form = request.form
        if (form.get("grant_type") != "client_credentials"
                or form.get("client_id") != self.client_id
                or form.get("client_secret") != self.secret):
            return _json({"error": "invalid_client", "error_description":
                          "AADSTS7000215: Invalid client secret provided. Ensure the secret "
                          "being sent in the request is the client secret value.",
                          "error_codes": [7000215]}, status=401)
        token = f"graph-token-{len(self.tokens) + 1}"
        self.tokens[token] = True
        return _json({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                      "access_token": token})

    def _select(self, request: Request) -> list[str]:
        return [name for name in request.args.get("$select", "").split(",") if name]

    def _shown(self, user: dict, names, select) -> dict:
        item = {"@odata.type": "#microsoft.graph.user", "id": user["id"]}
        for name in select:
            if name in GRAPH_SELECTABLE and name in names:
                item[name] = user.get(name)
        if "manager" in select and "manager" in names:
            manager = user.get("manager")
            item["manager@delta"] = (
                [{"@odata.type": "#microsoft.graph.user", "id": manager}] if manager else [])
        return item

    def delta(self, request: Request) -> Response:
        skip, delta = request.args.get("$skiptoken"), request.args.get("$deltatoken")
        if skip:
            state = json.loads(base64.urlsafe_b64decode(skip))
        elif delta:
            state = json.loads(base64.urlsafe_b64decode(delta))
            if self.forgotten:
                return _json({"error": {"code": "syncStateNotFound", "message":
                                        "The sync state is no longer available."}},
                             status=410)
            state["offset"] = 0
            state["end"] = self.log[-1][0] if self.log else 0
        else:
            state = {"since": 0, "offset": 0, "end": self.log[-1][0] if self.log else 0,
                     "select": self._select(request)}
        key = (state["since"], state["end"], tuple(state["select"]))
        if key not in self.cache:
            self.cache[key] = self._changes(state["since"], state["end"], state["select"])
        items = self.cache[key]
        page = items[state["offset"]:state["offset"] + self.page_size]
        body = {"@odata.context": f"{self.url}/v1.0/$metadata#users", "value": page}
        if state["offset"] + self.page_size < len(items):
            token = _token({**state, "offset": state["offset"] + self.page_size})
            body["@odata.nextLink"] = f"{self.url}/v1.0/users/delta?$skiptoken={token}"
        else:
            token = _token({"since": state["end"], "select": state["select"]})
            body["@odata.deltaLink"] = f"{self.url}/v1.0/users/delta?$deltatoken={token}"
        return _json(body)

    def _changes(self, since: int, end: int, select: list[str]) -> list[dict]:
        changed: dict[str, object] = {}
        for sequence, user_id, names in self.log:
            if since < sequence <= end:
                if names == "removed" or changed.get(user_id) == "removed":
                    changed[user_id] = names
                else:
                    changed[user_id] = {*changed.get(user_id, set()), *names}
        items = []
        for user_id, names in sorted(changed.items()):
            if user_id in self.deleted:
                if since:  # a first round never mentions what is already gone
                    items.append({"@odata.type": "#microsoft.graph.user", "id": user_id,
                                  "@removed": {"reason": "changed"}})
                continue
            every = set(GRAPH_SELECTABLE) | {"manager"}
            items.append(self._shown(self.users[user_id], every if not since else names,
                                     select))
        return items

    def members(self, request: Request, group: str) -> Response:
        if group not in self.groups:
            return _json({"error": {"code": "Request_ResourceNotFound"}}, status=404)
        ids = sorted(self.groups[group] - self.deleted)
        offset = int(request.args.get("$skiptoken", "0"))
        body = {"value": [{"@odata.type": "#microsoft.graph.user", "id": i}
                          for i in ids[offset:offset + self.page_size]]}
        if offset + self.page_size < len(ids):
            query = urlencode({"$select": "id", "$skiptoken": offset + self.page_size})
            body["@odata.nextLink"] = (f"{self.url}/v1.0/groups/{group}/transitiveMembers/"
                                       f"microsoft.graph.user?{query}")
        return _json(body)

    def one_user(self, request: Request, user_id: str) -> Response:
        if user_id not in self.users or user_id in self.deleted:
            return _json({"error": {"code": "Request_ResourceNotFound"}}, status=404)
        user = self.users[user_id]
        item = {"id": user_id}
        for name in self._select(request):
            if name in GRAPH_SELECTABLE:
                item[name] = user.get(name)
        if "manager" in request.args.get("$expand", ""):
            item["manager"] = {"id": user["manager"]} if user.get("manager") else None
        return _json(item)


def _token(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


class FakeOkta(_Fake):
    """Okta's Users API of one org, with an API token."""

    def __init__(self, *, token="okta-api-token", context=None):
        super().__init__(context)
        self.token = token
        self.users: dict[str, dict] = {}
        self.clock = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.UTC)
        self.cache: dict[str, tuple[list[dict], list[str]]] = {}  # search -> users, ids

    def _tick(self) -> str:
        self.cache.clear()
        self.clock += datetime.timedelta(seconds=1)
        return self.clock.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def add(self, user_id: str, *, status="ACTIVE", **profile) -> None:
        now = self._tick()
        self.users[user_id] = {"id": user_id, "status": status, "created": now,
                               "lastUpdated": now, "profile": profile}

    def change(self, user_id: str, **profile) -> None:
        self.users[user_id]["profile"].update(profile)
        self.users[user_id]["lastUpdated"] = self._tick()

    def deprovision(self, user_id: str) -> None:
        self.users[user_id]["status"] = "DEPROVISIONED"
        self.users[user_id]["lastUpdated"] = self._tick()

    def handle(self, request: Request) -> Response:
        if request.path != "/api/v1/users":
            return _json({"errorCode": "E0000022", "errorSummary": "The endpoint does not "
                          "support the provided HTTP method"}, status=404)
        if request.headers.get("Authorization") != f"SSWS {self.token}":
            return _json({"errorCode": "E0000011", "errorSummary": "Invalid token provided",
                          "errorLink": "E0000011", "errorId": "oae1", "errorCauses": []},
                         status=401)
        throttled = self.throttled({"errorCode": "E0000047", "errorSummary":
                                    "API call exceeded rate limit due to too many requests."})
        if throttled is not None:
            return throttled
        if self.broken_pages:
            self.broken_pages -= 1
            return Response("<html>upstream error</html>", status=200,
                            content_type="text/html")
        limit = min(int(request.args.get("limit", "200")), 200)
        after = request.args.get("after", "")
        search = request.args.get("search", "")
        if search and not re.fullmatch(r'lastUpdated gt "([^"]+)"', search):
            return _json({"errorCode": "E0000031", "errorSummary": "Invalid search."},
                         status=400)
        if search not in self.cache:
            users = sorted(self.users.values(), key=lambda u: u["id"])
            if search:
                since = search.split('"')[1]
                users = [u for u in users if u["lastUpdated"] > since]
            else:
                users = [u for u in users if u["status"] != "DEPROVISIONED"]
            self.cache[search] = (users, [u["id"] for u in users])
        users, ids = self.cache[search]
        users = users[bisect.bisect_right(ids, after):] if after else users
        page = users[:limit]
        query = {"limit": limit, **({"search": search} if search else {})}
        links = [f'<{self.url}/api/v1/users?{urlencode(query)}>; rel="self"']
        if len(users) > limit:
            query["after"] = page[-1]["id"]
            links.append(f'<{self.url}/api/v1/users?{urlencode(query)}>; rel="next"')
        return _json(page, headers={"Link": ", ".join(links),
                                    "X-Rate-Limit-Limit": "600",
                                    "X-Rate-Limit-Remaining": "599",
                                    "X-Rate-Limit-Reset": str(int(time.time()) + 60)})


def demo_directory(graph: FakeGraph, okta: FakeOkta) -> None:
    """A small directory for the README's walk: an ML head, two managers, their reports."""
    people = [
        ("u-head", "Amara Okafor", "Head of ML", None, "E100"),
        ("u-plat", "Priya Shah", "ML Platform Lead", "u-head", "E101"),
        ("u-model", "Dana Kim", "Modeling Lead", "u-head", "E102"),
        ("u-eng1", "Luis Ortega", "ML Engineer", "u-plat", "E103"),
        ("u-eng2", "Mei Chen", "Research Scientist", "u-model", "E104"),
        ("u-cont", "Sam Rivera", "Labeling Contractor", "u-plat", "C900"),
    ]
    for user_id, name, title, manager, employee in people:
        login = name.lower().replace(" ", ".") + "@example.com"
        kind = "Contractor" if employee.startswith("C") else "Employee"
        graph.add(user_id, displayName=name, mail=login, userPrincipalName=login,
                  jobTitle=title, department="Machine Learning", employeeId=employee,
                  employeeType=kind, manager=manager)
        okta.add(user_id, displayName=name, email=login, login=login, title=title,
                 department="Machine Learning", employeeNumber=employee, userType=kind,
                 managerId=manager and {p[0]: p[4] for p in people}[manager])


def main() -> None:  # pragma: no cover - a tool for people, not for the suite
    import argparse
    import pathlib
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--https", action="store_true",
                        help="Serve over https with a local certificate authority.")
    arguments = parser.parse_args()
    context, bundle = (certificate_authority(pathlib.Path(tempfile.mkdtemp()))
                       if arguments.https else (None, ""))
    graph, okta = FakeGraph(context=context).start(), FakeOkta(context=context).start()
    demo_directory(graph, okta)
    print(f"Fake Entra ID: --url {graph.url} --login-url {graph.url} "
          f"--tenant-id {graph.tenant} --client-id {graph.client_id}; secret {graph.secret}")
    print(f"Fake Okta:     --url {okta.url}; API token {okta.token}")
    if bundle:
        print(f"Trust it:      export REQUESTS_CA_BUNDLE={bundle}")
    print("Ctrl-C stops them.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        graph.stop()
        okta.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
