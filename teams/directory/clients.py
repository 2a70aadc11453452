"""The two directories' APIs, as their vendors document them, over one `requests` session.

Each source's `fetch()` reads every page of what changed since its cursor and answers a
`Batch`: the users, and the cursor to keep if the run is applied. Nothing here writes.

A failure raises `DirectoryError` with a sentence for the admin: bad credentials, a page
that did not parse, a directory that did not answer. Its text never holds the secret or the
access token (`tests/test_directory_secrets.py`). A throttled request (429, or 503 with
`Retry-After`) waits as the directory says, up to `ORGDESIGN_DIRECTORY_MAX_WAIT` seconds,
then is sent again: the run resumes where it was.
"""

from __future__ import annotations

import datetime
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

import msal
import requests
from django.conf import settings

from teams.directory.mapping import (
    MISSING,
    DirectoryUser,
    graph_select,
    mapping_of,
    text,
    value_at,
)
from teams.models import DirectoryConnector, DirectoryKind

GRAPH_URL = "https://graph.microsoft.com"
LOGIN_URL = "https://login.microsoftonline.com"
OKTA_PAGE = 200  # Okta's largest page of users
GRAPH_PAGE = 999  # Graph's largest page of a users delta (Prefer: odata.maxpagesize)
TRIES = 8  # throttled answers in a row before the run gives up


class DirectoryError(Exception):
    """The pull cannot go on; the message says why, for the admin, without any secret."""


@dataclass
class Batch:
    users: list[DirectoryUser] = field(default_factory=list)
    cursor: str = ""
    # A full read (a first run, or a delta link the directory expired): users absent from
    # it are not removed, since a pull deactivates only what the directory says it removed.
    full: bool = True
    waited: float = 0.0
    requests: int = 0
    # Entra limited to a group: the group's members (directory ids), read in full each run.
    members: set[str] | None = None


def session() -> requests.Session:
    """One session per run (connections kept alive across pages). It reads the proxy and CA
    settings of the environment (`REQUESTS_CA_BUNDLE`), as any `requests` client does."""
    http = requests.Session()
    http.headers["User-Agent"] = "orgdesign-directory-connector"
    return http


def retry_after(response: requests.Response) -> float:
    """Seconds the directory asks to wait: `Retry-After` (seconds or a date), else Okta's
    `X-Rate-Limit-Reset` (when its window resets, in epoch seconds), else a second."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())
        except (TypeError, ValueError):
            pass
    reset = response.headers.get("X-Rate-Limit-Reset", "").strip()
    if reset.isdigit():
        return max(0.0, float(reset) - time.time())
    return 1.0


class Source:
    """What both directories share: sending a GET, waiting when throttled."""

    def __init__(self, connector: DirectoryConnector, *, http: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 progress: Callable[[int, int], None] | None = None):
        self.connector = connector
        self.mapping = mapping_of(connector.kind, connector.mapping)
        self.http = http or session()
        self.sleep = sleep
        self.progress = progress or (lambda done, total: None)
        self.batch = Batch()

    @property
    def host(self) -> str:
        return urlsplit(self.connector.url).netloc

    def get(self, url: str, headers: dict) -> requests.Response:
        for _ in range(TRIES):
            try:
                response = self.http.get(url, headers=headers,
                                         timeout=settings.ORGDESIGN_DIRECTORY_TIMEOUT)
            except requests.RequestException as problem:
                raise DirectoryError(
                    f"The directory at {self.host} did not answer "
                    f"({type(problem).__name__}); nothing was written.") from None
            self.batch.requests += 1
            if response.status_code == 429 or (
                    response.status_code == 503 and "Retry-After" in response.headers):
                wait = retry_after(response)
                if wait > settings.ORGDESIGN_DIRECTORY_MAX_WAIT:
                    raise DirectoryError(
                        f"The directory throttled the run and asked to wait {wait:.0f} s, "
                        f"longer than the {settings.ORGDESIGN_DIRECTORY_MAX_WAIT:.0f} s a run "
                        "waits; nothing was written. Run it again later.")
                self.batch.waited += wait
                self.sleep(wait)
                continue
            return response
        raise DirectoryError(f"The directory throttled the run {TRIES} times in a row; "
                             "nothing was written. Run it again later.")

    def page_json(self, response: requests.Response, page: int):
        try:
            return response.json()
        except ValueError:
            raise DirectoryError(
                f"Page {page} of the directory's answer did not parse as JSON (HTTP "
                f"{response.status_code}); nothing was written.") from None


def _graph_error(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")[:300]
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}"


class EntraSource(Source):
    """Microsoft Graph: `GET /v1.0/users/delta` with `$select` of the mapped properties and
    the manager, paged by `@odata.nextLink`, ending on the `@odata.deltaLink` that the next
    run starts from. Removed users come as `@removed`; a manager's change as `manager@delta`.
    Limited to a group, the run also lists the group's members (transitively) and keeps
    only them: a user who left the group is removed."""

    token: str = ""

    @property
    def base(self) -> str:
        return (self.connector.url or GRAPH_URL).rstrip("/")

    @property
    def authority(self) -> str:
        login = (self.connector.login_url or LOGIN_URL).rstrip("/")
        return f"{login}/{self.connector.tenant_id}"

    def access_token(self, *, fresh: bool = False) -> str:
        scope = f"{self.base}/.default"
        if urlsplit(self.authority).scheme == "https":
            # A new application has an empty token cache: `fresh` gets a new token.
            app = msal.ConfidentialClientApplication(
                self.connector.client_id, client_credential=self.connector.secret,
                authority=self.authority, http_client=self.http,
                # Our own tenant's authority, never a lookup on the public cloud's host (a
                # national cloud, or a local fake, is not there).
                instance_discovery=False, token_cache=msal.TokenCache(),
            )
            try:
                answer = app.acquire_token_for_client(scopes=[scope])
            except (ValueError, requests.RequestException) as problem:
                raise DirectoryError(
                    f"The token authority {urlsplit(self.authority).netloc} could not be "
                    f"reached or read ({type(problem).__name__}); check the tenant id and "
                    "the authority URL. Nothing was written.") from None
        else:
            # msal takes https authorities only; a plain-http one is a local fake
            # (ORGDESIGN_DIRECTORY_ALLOW_HTTP), asked the same client-credentials grant.
            answer = self._plain_token(scope)
        if "access_token" not in answer:
            description = str(answer.get("error_description", "")).split("\n")[0][:300]
            raise DirectoryError(
                "Microsoft Entra ID refused the credentials "
                f"({answer.get('error', 'no token')}: {description}); check the tenant id, "
                "client id and client secret. Nothing was written.")
        return answer["access_token"]

    def _plain_token(self, scope: str) -> dict:
        try:
            response = self.http.post(
                f"{self.authority}/oauth2/v2.0/token",
                data={"grant_type": "client_credentials", "client_id": self.connector.client_id,
                      "client_secret": self.connector.secret, "scope": scope},
                timeout=settings.ORGDESIGN_DIRECTORY_TIMEOUT)
            return response.json()
        except (requests.RequestException, ValueError):
            return {"error": "unreachable", "error_description": "no answer from the authority"}

    def graph(self, url: str, page: int) -> dict:
        """One page of Graph, with a new token once if Graph says the one we have expired."""
        if not self.token:
            self.token = self.access_token()
        for renewed in (False, True):
            response = self.get(url, {"Authorization": f"Bearer {self.token}",
                                      "Prefer": f"odata.maxpagesize={GRAPH_PAGE}"})
            if response.status_code == 401 and not renewed:
                self.token = self.access_token(fresh=True)
                continue
            break
        if response.status_code == 410:
            raise _DeltaExpired()
        if response.status_code in (401, 403):
            raise DirectoryError(
                f"Microsoft Graph refused the request ({_graph_error(response)}); the app "
                "registration needs the application permission User.Read.All (and "
                "GroupMember.Read.All for a group), granted by an administrator. Nothing was "
                "written.")
        if response.status_code != 200:
            raise DirectoryError(f"Microsoft Graph answered HTTP {response.status_code} "
                                 f"({_graph_error(response)}); nothing was written.")
        data = self.page_json(response, page)
        if not isinstance(data, dict) or not isinstance(data.get("value"), list):
            raise DirectoryError(f"Page {page} of Microsoft Graph's answer has no list of "
                                 "users; nothing was written.")
        return data

    def first_url(self) -> str:
        query = urlencode({"$select": graph_select(self.mapping)}, safe="$,()")
        return f"{self.base}/v1.0/users/delta?{query}"

    def fetch(self) -> Batch:
        try:
            return self._fetch(self.connector.cursor)
        except _DeltaExpired:
            # Graph forgot the delta state (410 Gone): read everything again.
            self.batch = Batch(waited=self.batch.waited, requests=self.batch.requests)
            return self._fetch("")

    def _fetch(self, cursor: str) -> Batch:
        self.batch.full = not cursor
        url, page = cursor or self.first_url(), 0
        while url:
            page += 1
            data = self.graph(url, page)
            for item in data["value"]:
                user = self.user_of(item)
                if user is not None:
                    self.batch.users.append(user)
            self.progress(len(self.batch.users), 0)
            url = data.get("@odata.nextLink", "")
            if not url:
                self.batch.cursor = data.get("@odata.deltaLink", "")
                if not self.batch.cursor:
                    raise DirectoryError(f"Page {page} of Microsoft Graph's answer has "
                                         "neither a next link nor a delta link; nothing "
                                         "was written.")
        if self.connector.group:
            self.keep_group()
        return self.batch

    @staticmethod
    def user_of(item: dict) -> DirectoryUser | None:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return None
        if item.get("userType") == "Guest" and "@removed" not in item:
            # A guest of another tenant (B2B) is nobody's employee here.
            return None
        user = DirectoryUser(id=item["id"], attributes=item, removed="@removed" in item)
        if "manager@delta" in item:
            managers = [m for m in item["manager@delta"] or []
                        if isinstance(m, dict) and "@removed" not in m and m.get("id")]
            user.manager = managers[0]["id"] if managers else None
        elif "manager" in item:  # the shape of a $expand=manager read
            manager = item["manager"]
            user.manager = manager.get("id") if isinstance(manager, dict) else None
        return user

    def group_members(self) -> set[str]:
        group = quote(self.connector.group, safe="")
        url = (f"{self.base}/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user"
               "?$select=id")
        members, page = set(), 0
        while url:
            page += 1
            data = self.graph(url, page)
            members.update(m["id"] for m in data["value"] if isinstance(m, dict) and "id" in m)
            url = data.get("@odata.nextLink", "")
        return members

    def keep_group(self) -> None:
        """Only the group's members: the others are dropped here; `pull.py` removes those a
        run before brought, and reads one by one (`read_user`) the members this round did
        not report because they joined the group without changing."""
        members = self.group_members()
        self.batch.members = members
        self.batch.users = [u for u in self.batch.users if u.removed or u.id in members]

    def read_user(self, directory_id: str) -> DirectoryUser | None:
        query = urlencode({"$select": graph_select(self.mapping).removesuffix(",manager"),
                           "$expand": "manager($select=id)"}, safe="$,()=")
        url = f"{self.base}/v1.0/users/{quote(directory_id, safe='')}?{query}"
        response = self.get(url, {"Authorization": f"Bearer {self.token}"})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise DirectoryError(f"Microsoft Graph answered HTTP {response.status_code} for a "
                                 f"member of the group ({_graph_error(response)}); nothing "
                                 "was written.")
        return self.user_of(self.page_json(response, 1))


class _DeltaExpired(Exception):
    pass


class OktaSource(Source):
    """Okta: `GET /api/v1/users`, 200 a page, paged by the `Link` header's `rel="next"`.
    A first run lists every user (Okta leaves the deprovisioned out); a later run searches
    `lastUpdated gt` the latest change the run before saw, which also finds the users
    deprovisioned since. The API token goes as `Authorization: SSWS`."""

    @property
    def base(self) -> str:
        return self.connector.url.rstrip("/")

    def first_url(self) -> str:
        query = {"limit": OKTA_PAGE}
        if self.connector.cursor:
            query["search"] = f'lastUpdated gt "{okta_since(self.connector.cursor)}"'
        return f"{self.base}/api/v1/users?{urlencode(query)}"

    def fetch(self) -> Batch:
        self.batch.full = not self.connector.cursor
        latest = self.connector.cursor
        url, page = self.first_url(), 0
        manager_path = self.mapping.get("manager", "")
        while url:
            page += 1
            response = self.get(url, {"Authorization": f"SSWS {self.connector.secret}",
                                      "Accept": "application/json"})
            if response.status_code in (401, 403):
                raise DirectoryError(
                    f"Okta refused the API token ({_okta_error(response)}); it needs to be a "
                    "token of an administrator who may read users (okta.users.read). Nothing "
                    "was written.")
            if response.status_code != 200:
                raise DirectoryError(f"Okta answered HTTP {response.status_code} "
                                     f"({_okta_error(response)}); nothing was written.")
            data = self.page_json(response, page)
            if not isinstance(data, list):
                raise DirectoryError(f"Page {page} of Okta's answer is not a list of users; "
                                     "nothing was written.")
            for item in data:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    continue
                user = DirectoryUser(id=item["id"], attributes=item,
                                     removed=item.get("status") == "DEPROVISIONED")
                if manager_path:
                    reference = value_at(item, manager_path)
                    if reference is not MISSING:
                        user.manager = text(reference) or None
                self.batch.users.append(user)
                updated = item.get("lastUpdated")
                if isinstance(updated, str) and updated > latest:
                    latest = updated
            self.progress(len(self.batch.users), 0)
            url = response.links.get("next", {}).get("url", "")
        self.batch.cursor = latest
        return self.batch


# Okta's search is eventually consistent: a user changed just before the last run may not
# have been found by it. Asking again from a little earlier reads a few users twice, which
# the sync counts as unchanged.
OKTA_MARGIN = datetime.timedelta(minutes=5)
OKTA_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def okta_since(cursor: str) -> str:
    """The `lastUpdated` to search after: the newest the last run saw, less the margin."""
    try:
        seen = datetime.datetime.strptime(cursor, OKTA_TIME)
    except ValueError:
        return cursor
    return (seen - OKTA_MARGIN).strftime(OKTA_TIME)[:-4] + "Z"


def _okta_error(response: requests.Response) -> str:
    try:
        data = response.json()
        return f"{data.get('errorCode', '')}: {data.get('errorSummary', '')}".strip(": ")[:300]
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}"


SOURCES = {DirectoryKind.ENTRA: EntraSource, DirectoryKind.OKTA: OktaSource}


def source_for(connector: DirectoryConnector, **options) -> Source:
    return SOURCES[connector.kind](connector, **options)
