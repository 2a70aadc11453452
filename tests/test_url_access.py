"""Every URL pattern of the project, walked from the resolver (a new endpoint is picked up by
itself), asked by everyone who must not get in: nobody, a login of another organisation, a
viewer who tries to write, a read token that tries to write, a token of another
organisation, and the demo's own admin naming another organisation's objects.

Each route's URL is built from its pattern with real ids of the demo organisation (or of a
second one). A kwarg this file does not know how to fill fails `test_every_route_can_be_built`
with the pattern's name: a new endpoint must say here what its ids are.

For every request: never a 5xx; never a 2xx where the caller has no business; and nothing in
the design changes (the rows of people, teams, memberships, pipelines, engagements, the
organisation, its roles and tokens are compared after every request).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from orgdesign.jobs.models import Job, JobKind
from pipelines.models import CatalogEntity, Engagement, Pipeline, Position
from teams.models import (
    ApiToken,
    Level,
    Membership,
    Organisation,
    Person,
    ScenarioMerge,
    Team,
)
from teams.scim import discovery_views
from teams.scim.schemas import CORE_GROUP, CORE_USER
from teams.tokens import token_create
from tests.api_helpers import token_client
from tests.db_state import db_state
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unthrottled")]

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

# Routes anyone may use without logging in, and why. Everything else must refuse a caller
# without credentials.
PUBLIC = {
    "healthz": "load balancers and docker-compose probe it without credentials",
    "favicon.ico": "browsers ask for it on every page, the login page included",
    "accounts/login/": "the login page itself",
    "accounts/logout/": "logging out needs no login (it answers a redirect)",
    "accounts/password_reset/": "for people who cannot log in",
    "accounts/password_reset/done/": "the page after asking for a reset",
    "accounts/reset/<uidb64>/<token>/": "the link of the reset email, for someone logged out",
    "accounts/reset/done/": "the page after a reset",
    "admin/login/": "the admin's own login page",
    "admin/logout/": "logging out needs no login (it answers a redirect)",
    "api/schema/": "the OpenAPI schema: the API's contract, without any organisation's data",
    "api/docs/": "the API's documentation page, serving the schema above",
}
# The SCIM discovery endpoints (ServiceProviderConfig, ResourceTypes, Schemas) are NOT
# public: like every SCIM endpoint they need a token (401 without one).
# Static files are served by WhiteNoise's middleware, not by a URL pattern: not walked here.

API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PAGE_METHODS = ("GET", "POST")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# SCIM endpoints where a POST is a search (a read), not a write.
SCIM_SEARCHES = {"scim-users-search", "scim-groups-search", "scim-search"}
# Kwargs that name an object of the organisation (as opposed to the organisation itself or
# a fixed name such as a SCIM schema).
OBJECT_KWARGS = {
    "pk", "team_pk", "person_pk", "pipeline_id", "team_id", "user_id", "group_id",
    "history_id", "other_slug", "other", "key", "scenario",
}


# The routes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    pieces: tuple  # the patterns from the root down to the view's, RoutePattern or RegexPattern
    pattern: URLPattern

    @property
    def route(self) -> str:
        return "".join(str(piece) for piece in self.pieces)

    @property
    def name(self) -> str:
        return self.pattern.name or self.route

    @property
    def kwargs(self) -> list[str]:
        names = []
        for piece in self.pieces:
            if isinstance(piece, RoutePattern):
                names += list(piece.converters)
            else:
                names += list(piece.regex.groupindex)
        return names

    @property
    def kind(self) -> str:
        route = self.route
        if route.startswith("api/v1/"):
            return "api"
        if route.startswith("scim/v2/"):
            return "scim"
        if route.startswith("admin/"):
            return "admin"
        if (self.pattern.name or "").startswith("export_"):
            return "export"
        return "page"

    @property
    def public(self) -> bool:
        return self.route in PUBLIC

    @property
    def in_organisation(self) -> bool:
        """Whether the URL names an organisation (its slug)."""
        return "slug" in self.kwargs

    @property
    def scim_not_found(self) -> bool:
        """The SCIM root and catch-all: a SCIM 404 for anyone."""
        return self.kind == "scim" and self.pattern.callback is discovery_views.not_found

    @property
    def methods(self) -> tuple[str, ...]:
        return API_METHODS if self.kind in ("api", "scim") else PAGE_METHODS

    def __str__(self) -> str:
        return f"{self.name} ({self.route})"


def walk(patterns=None, pieces: tuple = ()) -> Iterator[Route]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, (*pieces, entry.pattern))
        elif isinstance(entry, URLPattern):
            yield Route((*pieces, entry.pattern), entry)


ROUTES = list(walk())


# The ids a URL is built with -----------------------------------------------------------------


@dataclass
class World:
    """The ids the kwargs of the routes are filled with."""

    slug: str
    person: int
    team: int
    membership: int
    pipeline: int
    engagement: int
    position: int
    level: int
    job: object
    token: int
    merge: int  # a scenario merged into the organisation
    entity: int  # an entity of its software catalog
    member: int  # a login with a role in the organisation
    history: int  # a history entry of `person`
    compare_with: str  # a design to compare with
    reset_user: int  # a login, for the password reset link
    admin_ids: dict[str, int] = field(default_factory=dict)  # "app/model" -> an id
    finding: str = "0"  # a finding's key, or its position: the first, an error with remedies


class UnknownKwarg(Exception):
    pass


# The object a `pk` names, by the path segment before it.
PK_OBJECTS = {
    "people": "person",
    "teams": "team",
    "pipelines": "pipeline",
    "memberships": "membership",
    "engagements": "engagement",
    "positions": "position",
    "levels": "level",
    "jobs": "job",
    "tokens": "token",
    "merges": "merge",
    "catalog": "entity",
}


def _segment_before(route: str, name: str) -> str:
    match = re.search(rf"\(\?P<{name}>|<(?:[^<>:]+:)?{name}>", route)
    return route[: match.start()].rstrip("/").rsplit("/", 1)[-1].lstrip("^")


def _admin_model(route: str) -> str:
    # admin/<app_label>/<model_name>/<path:object_id>/...
    parts = route.split("/")
    return f"{parts[1]}/{parts[2]}"


def value_for(route: Route, name: str, world: World) -> str:
    """The value of kwarg `name` of `route`, or UnknownKwarg."""
    text = route.route
    scim = route.kind == "scim"
    rules: dict[str, Callable[[], object]] = {
        "slug": lambda: world.slug,
        "team_pk": lambda: world.team,
        "team_id": lambda: world.team,
        "group_id": lambda: world.team,
        "person_pk": lambda: world.person,
        "pipeline_id": lambda: world.pipeline,
        "user_id": lambda: world.person if scim else world.member,
        "history_id": lambda: world.history,
        "kind": lambda: "person",
        "directory": lambda: "okta",
        "other_slug": lambda: world.compare_with,
        "other": lambda: world.compare_with,
        "scenario": lambda: world.compare_with,
        "key": lambda: world.finding,
        "type_id": lambda: "User",
        "schema_id": lambda: CORE_USER,
        "uidb64": lambda: urlsafe_base64_encode(force_bytes(world.reset_user)),
        "token": lambda: "not-a-valid-token",
        # The admin's own kwargs.
        "app_label": lambda: "teams",
        "content_type_id": lambda: ContentType.objects.get_for_model(Person).pk,
        "object_id": lambda: world.admin_ids.get(_admin_model(text), 1),
        "id": lambda: world.member,
        "url": lambda: "nothing-here/",
        "chart": lambda: "findings",
    }
    if name == "pk":
        segment = _segment_before(text, name)
        if segment not in PK_OBJECTS:
            raise UnknownKwarg(f"{route}: which object does pk after {segment!r} name?")
        return str(getattr(world, PK_OBJECTS[segment]))
    if name not in rules:
        raise UnknownKwarg(f"{route}: no value for the kwarg {name!r}")
    return str(rules[name]())


def _group_end(text: str, start: int) -> int:
    """The index just past the group opening at `start` (nested groups, classes, escapes)."""
    depth, index, in_class = 0, start, False
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError(f"unbalanced group in {text!r}")


def _build_piece(route: Route, piece, world: World) -> str:
    if isinstance(piece, RoutePattern):
        return re.sub(
            r"<(?:[^>:]+:)?([^>]+)>", lambda m: value_for(route, m[1], world), str(piece)
        )
    assert isinstance(piece, RegexPattern)
    text = str(piece).removeprefix("^").removesuffix("$")
    while (start := text.find("(?P<")) >= 0:
        name = text[start + 4 : text.index(">", start)]
        text = text[:start] + value_for(route, name, world) + text[_group_end(text, start):]
    text = text.replace("/?", "/").replace(r"\.", ".")
    if text == ".*":  # an unnamed catch-all
        text = "nothing-here"
    if re.search(r"[()\[\]?*+^$|\\]", text):
        raise UnknownKwarg(f"{route}: cannot build a URL from the regex {str(piece)!r}")
    return text


def url_of(route: Route, world: World) -> str:
    return "/" + "".join(_build_piece(route, piece, world) for piece in route.pieces)


def build_all(world: World, routes=ROUTES) -> list[tuple[Route, str]]:
    """Every route with its URL; fails naming each route that cannot be built, or whose URL
    resolves to another view."""
    built, problems = [], []
    for route in routes:
        try:
            url = url_of(route, world)
        except UnknownKwarg as error:
            problems.append(str(error))
            continue
        match = resolve(url.split("?")[0])
        if match.func is not route.pattern.callback:
            problems.append(f"{route}: {url} resolves to {match.view_name or match._func_path}")
            continue
        built.append((route, url))
    if problems:
        pytest.fail(
            "Routes this test cannot build a URL for (add their kwargs to `value_for`):\n"
            + "\n".join(problems),
            pytrace=False,
        )
    return built


# Requests ------------------------------------------------------------------------------------


def _csv_file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def body_for(route: Route, method: str, world: World):
    """A plausible body for a write: what would change something if the caller were
    allowed to (an empty one for the routes not listed)."""
    name = route.pattern.name or ""
    forms = {
        "person_create": {"name": "Mallory", "role": "other"},
        "person_update": {"name": "Mallory", "role": "other", "active": "on"},
        "person_membership_set": {"team": world.team, "allocation": 10},
        "team_create": {"name": "Mallory team", "kind": "other"},
        "team_update": {"name": "Mallory team", "kind": "other"},
        "team_member_set": {"person": world.person, "allocation": 10},
        "pipelines": {"name": "Mallory pipeline", "lifecycle": "incubating", "tier": "normal"},
        "pipeline_detail": {"name": "Mallory pipeline", "lifecycle": "incubating",
                            "tier": "normal"},
        "matrix_cell": {"role": "owner"},
        "chart_move": {"person": world.person, "manager": ""},
        "org_settings": {"name": "Taken over", "span_max": 3, "layers_max": 3},
        "members": {"username": "mallory", "role": "admin"},
        "member_change": {"role": "admin"},
        "api_tokens": {"name": "Mallory", "scope": "write"},
        "scenarios": {"name": "Mallory scenario"},
        "import_people_apply": {"ticket": "x"},
        "import_matrix_apply": {"ticket": "x"},
    }
    if name == "import_people":
        return {"file": _csv_file("people.csv", "external_id,name\nMAL1,Mallory\n")}
    if name == "import_matrix":
        return {"file": _csv_file("matrix.csv", "pipeline,pm_owner,lifecycle\nX,,\n")}
    if route.kind == "page":
        return forms.get(name, {})
    json_bodies = {
        ("api-organisation", "PATCH"): {"name": "Taken over"},
        ("api-organisation", "PUT"): {"name": "Taken over"},
        ("api-person-list", "POST"): {"name": "Mallory", "external_id": "MAL1"},
        ("api-person-detail", "PATCH"): {"name": "Mallory"},
        ("api-person-detail", "PUT"): {"name": "Mallory"},
        ("api-team-list", "POST"): {"name": "Mallory team", "kind": "other"},
        ("api-team-detail", "PATCH"): {"name": "Mallory team"},
        ("api-team-detail", "PUT"): {"name": "Mallory team", "kind": "other"},
        ("api-membership-list", "POST"): {
            "person": world.person, "team": world.team, "allocation": 10},
        ("api-membership-detail", "PATCH"): {"allocation": 10},
        ("api-membership-detail", "PUT"): {"allocation": 10},
        ("api-pipeline-list", "POST"): {"name": "Mallory pipeline"},
        ("api-pipeline-detail", "PATCH"): {"name": "Mallory pipeline"},
        ("api-pipeline-detail", "PUT"): {"name": "Mallory pipeline"},
        ("api-engagement-list", "POST"): {
            "pipeline": world.pipeline, "team": world.team, "role": "owner"},
        ("api-engagement-detail", "PATCH"): {"role": "service"},
        ("api-engagement-detail", "PUT"): {"role": "service"},
        ("api-position-list", "POST"): {"team": world.team, "title": "Mallory seat"},
        ("api-position-detail", "PATCH"): {"status": "cancelled"},
        ("api-position-detail", "PUT"): {"team": world.team, "title": "Mallory seat"},
        ("api-level-list", "POST"): {"name": "M1", "annual_cost": 1},
        ("api-level-detail", "PATCH"): {"annual_cost": 2},
        ("api-level-detail", "PUT"): {"name": "M1", "annual_cost": 2},
        ("api-people-sync", "POST"): {"people": [{"external_id": "MAL1", "name": "Mallory"}]},
        ("scim-users", "POST"): {
            "schemas": [CORE_USER], "userName": "mallory@example.com", "displayName": "Mallory"},
        ("scim-user", "PUT"): {
            "schemas": [CORE_USER], "userName": "mallory@example.com", "displayName": "Mallory"},
        ("scim-user", "PATCH"): {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "title", "value": "Taken over"}]},
        ("scim-groups", "POST"): {"schemas": [CORE_GROUP], "displayName": "Mallory team"},
        ("scim-group", "PUT"): {"schemas": [CORE_GROUP], "displayName": "Mallory team"},
        ("scim-group", "PATCH"): {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Mallory"}]},
    }
    if name in SCIM_SEARCHES:
        return {"schemas": [SEARCH]}
    return json_bodies.get((name, method), {})


def send(client, route: Route, method: str, url: str, world: World):
    if method == "GET":
        return client.get(url)
    body = body_for(route, method, world)
    if route.kind in ("api", "scim"):
        return client.generic(method, url, json.dumps(body), content_type="application/json")
    assert method == "POST"
    return client.post(url, body)


def content_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


Check = Callable[[Route, str, object], str | None]  # (route, method, response) -> why not ok


@dataclass
class Walk:
    """Requests sent, each checked; what went wrong, listed all at once."""

    world: World
    secrets: list[str] = field(default_factory=list)  # text that must not appear
    offences: list[str] = field(default_factory=list)
    sent: int = 0

    def run(self, client, route: Route, url: str, methods, check: Check) -> None:
        for method in methods:
            before = db_state()
            response = send(client, route, method, url, self.world)
            self.sent += 1
            status = response.status_code
            body = content_of(response)
            why = "a server error" if status >= 500 else check(route, method, response)
            if why is None:
                leaked = [secret for secret in self.secrets if secret in body]
                if leaked:
                    why = f"shows {leaked}"
            if why is None and (changed := changed_tables(before, db_state())):
                why = f"changed {', '.join(changed)}"
            if why is not None:
                self.offences.append(f"{method} {url} [{route.name}] -> {status}: {why}")

    def assert_clean(self, what: str) -> None:
        assert self.sent, "no request was sent"
        assert not self.offences, (
            f"{len(self.offences)} of {self.sent} requests by {what} went wrong:\n"
            + "\n".join(self.offences)
        )


def _location(response) -> str:
    return response.get("Location", "")


def expect(*statuses: int, login: str | None = None) -> Check:
    """A check: the status is one of `statuses`, or a redirect to the `login` page."""

    def check(route, method, response):
        status = response.status_code
        if status in statuses:
            return None
        if login and status == 302 and _location(response).startswith(login):
            return None
        wanted = ", ".join(map(str, statuses)) + (f" or a redirect to {login}" if login else "")
        return f"expected {wanted}" + (f" (to {_location(response)})" if status == 302 else "")

    return check


def not_a_server_error(route, method, response):
    return None


# The two organisations -----------------------------------------------------------------------


@dataclass
class Setup:
    demo: Organisation
    other: Organisation
    world: World  # the demo's ids
    foreign: World  # the other organisation's ids
    secrets: list[str]


def _world(organisation: Organisation, *, member: int, reset_user: int, compare_with: str):
    person = Person.objects.filter(organisation=organisation, memberships__isnull=False).order_by(
        "pk").first()
    membership = Membership.objects.filter(person=person).order_by("pk").first()
    engagement = Engagement.objects.filter(pipeline__organisation=organisation).order_by(
        "pk").first()
    position = Position.objects.filter(organisation=organisation).order_by("pk").first() or \
        Position.objects.create(organisation=organisation, team_id=membership.team_id,
                                title="Seat")
    level = Level.objects.filter(organisation=organisation).order_by("pk").first() or \
        Level.objects.create(organisation=organisation, name="L4", annual_cost=1)
    job = Job.objects.create(organisation=organisation, kind=JobKind.PEOPLE_SYNC)
    token, _ = token_create(organisation=organisation, name="revocable", scope="read")
    merge = ScenarioMerge.objects.create(organisation=organisation, scenario_name="Merged",
                                         before={}, after={})
    history = Person.history.filter(id=person.pk).order_by("-history_id").first()
    assert history is not None, "the person has no history to restore"
    entity = CatalogEntity.objects.filter(organisation=organisation).order_by("pk").first() or \
        CatalogEntity.objects.create(organisation=organisation, source="tests", kind="group",
                                     ref="group:default/tests", name="tests")
    admin_ids = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            admin_ids[f"{model._meta.app_label}/{model._meta.model_name}"] = first
    return World(
        slug=organisation.slug,
        person=person.pk,
        team=membership.team_id,
        membership=membership.pk,
        pipeline=engagement.pipeline_id,
        engagement=engagement.pk,
        position=position.pk,
        level=level.pk,
        job=job.uid,
        token=token.pk,
        merge=merge.pk,
        entity=entity.pk,
        member=member,
        history=history.history_id,
        compare_with=compare_with,
        reset_user=reset_user,
        admin_ids=admin_ids,
    )


@pytest.fixture
def setup(demo) -> Setup:
    other = OrganisationFactory(slug="elsewhere", name="Elsewhere")
    person = PersonFactory(organisation=other, name="Otto Elsewhere")
    team = TeamFactory(organisation=other, name="Elsewhere Team")
    MembershipFactory(person=person, team=team)
    pipeline = PipelineFactory(organisation=other, name="Elsewhere pipeline")
    EngagementFactory(pipeline=pipeline, team=team)
    demo_member = client_for(demo, "viewer").user
    other_member = client_for(other, "viewer").user
    world = _world(demo, member=demo_member.pk, reset_user=demo_member.pk,
                   compare_with=demo.slug)
    foreign = _world(other, member=other_member.pk, reset_user=other_member.pk,
                     compare_with=other.slug)
    # What a caller without access to the demo must never be shown.
    secrets = [
        Person.objects.get(pk=world.person).name,
        Team.objects.get(pk=world.team).name,
        Pipeline.objects.get(pk=world.pipeline).name,
    ]
    return Setup(demo, other, world, foreign, secrets)


# The walks -----------------------------------------------------------------------------------


def test_every_route_can_be_built(setup):
    built = build_all(setup.world)
    assert len(built) == len(ROUTES)
    # The walk reaches every door, so a door moved elsewhere is noticed here.
    kinds = {route.kind for route, _ in built}
    assert kinds == {"api", "scim", "admin", "export", "page"}
    assert sum(route.in_organisation for route, _ in built) > 50


def test_the_public_allow_list_names_only_existing_routes():
    routes = {route.route for route in ROUTES}
    assert set(PUBLIC) <= routes, set(PUBLIC) - routes


def test_nobody_without_credentials_gets_anything_but_the_public_pages(setup):
    walk_ = Walk(setup.world, secrets=setup.secrets)
    client = Client()
    checks = {
        "api": expect(401),
        "scim": expect(401),
        "admin": expect(405, login="/admin/login/"),
        # Without any credentials an export is a browser's download: to the login page
        # (a bad token is a 401: test_a_made_up_token_gets_401_wherever_a_token_is_read).
        "export": expect(401, 405, login="/accounts/login/"),
        "page": expect(405, login="/accounts/login/"),
    }
    for route, url in build_all(setup.world):
        if route.public:
            check = not_a_server_error
        elif route.scim_not_found:
            check = expect(404)
        else:
            check = checks[route.kind]
        walk_.run(client, route, url, route.methods, check)
    walk_.assert_clean("a caller without credentials")


def test_a_made_up_token_gets_401_wherever_a_token_is_read(setup):
    """A bearer token that is no token (or a revoked one) is refused, not taken for a visitor
    without credentials: 401 from the API, SCIM and the exports alike."""
    revoked = token_client(setup.demo, "write")
    ApiToken.objects.filter(pk=revoked.token.pk).update(revoked_at=timezone.now())
    walk_ = Walk(setup.world, secrets=setup.secrets)
    for key in ("od_made-up", "not-even-our-prefix", revoked.key):
        client = Client(headers={"Authorization": f"Bearer {key}"})
        for route, url in build_all(setup.world):
            if route.kind in ("api", "scim", "export") and not route.scim_not_found:
                methods = route.methods if route.kind != "export" else ("GET",)
                walk_.run(client, route, url, methods, expect(401))
    walk_.assert_clean("a made-up or revoked token")


def test_a_login_of_another_organisation_gets_404_for_every_demo_url(setup):
    outsider = client_for(setup.other, "editor")
    walk_ = Walk(setup.world, secrets=setup.secrets)
    for route, url in build_all(setup.world):
        if route.route.endswith("logout/"):
            continue  # would log the client out; the anonymous walk covers it
        if route.in_organisation:
            check = expect(403, 404, 405)
        elif route.scim_not_found:
            check = expect(404)
        elif route.kind == "scim":
            check = expect(401)  # a login is no token
        elif route.kind == "admin" and not route.public:
            check = expect(405, login="/admin/login/")  # not staff
        else:
            check = not_a_server_error  # their own pages: the home page, a new organisation
        walk_.run(outsider, route, url, route.methods, check)
    walk_.assert_clean("an editor of another organisation")


def test_a_login_may_not_compare_with_a_design_it_cannot_see(setup):
    outsider = client_for(setup.other, "editor")
    walk_ = Walk(setup.world, secrets=setup.secrets)
    other_world = replace(setup.foreign, compare_with=setup.demo.slug)
    for route, url in build_all(other_world):
        if route.pattern.name in ("compare", "api-compare"):
            walk_.run(outsider, route, url, ("GET",), expect(404))
            walk_.run(outsider, route, url + "?format=csv", ("GET",), expect(404))
            token = token_client(setup.other, "read")
            if route.kind == "api":
                walk_.run(token, route, url, ("GET",), expect(404))
    assert walk_.sent == 5
    walk_.assert_clean("an editor of another organisation comparing with the demo")


def test_a_viewer_cannot_write_anything(setup):
    viewer = client_for(setup.demo, "viewer")
    walk_ = Walk(setup.world)
    for route, url in build_all(setup.world):
        if not route.in_organisation:
            continue
        # Reads: any page may refuse (the import page is the editors'), none may fail.
        walk_.run(viewer, route, url, ("GET",), not_a_server_error)
        writes = [method for method in route.methods if method in WRITES]
        walk_.run(viewer, route, url, writes, expect(403, 404, 405))
    walk_.assert_clean("a viewer of the demo")


def test_a_read_token_cannot_write_anything(setup):
    reader = token_client(setup.demo, "read")
    walk_ = Walk(setup.world)
    for route, url in build_all(setup.world):
        is_door = route.kind in ("api", "scim", "export")
        if not is_door or (route.kind != "scim" and not route.in_organisation):
            continue
        writes = [method for method in route.methods if method in WRITES]
        if route.pattern.name in SCIM_SEARCHES:
            writes.remove("POST")
        check = expect(404) if route.scim_not_found else expect(403, 405)
        walk_.run(reader, route, url, writes, check)
    walk_.assert_clean("a read token of the demo")


def test_a_token_of_another_organisation_finds_nothing_of_the_demo(setup):
    stranger = token_client(setup.other, "write")
    walk_ = Walk(setup.world, secrets=setup.secrets)
    for route, url in build_all(setup.world):
        if route.kind in ("api", "export") and route.in_organisation:
            # The export views answer only GET (405 to the rest, before the token is read).
            check = expect(404) if route.kind == "api" else expect(404, 405)
            walk_.run(stranger, route, url, route.methods, check)
        elif route.pattern.name in ("scim-user", "scim-group"):
            # Users/<demo person id>, Groups/<demo team id>: as if they did not exist.
            walk_.run(stranger, route, url, ("GET", "PUT", "PATCH", "DELETE"), expect(404))
            walk_.run(stranger, route, url, ("POST",), expect(404, 405))
    walk_.assert_clean("a write token of another organisation")


def _foreign_variants(setup: Setup) -> Iterator[tuple[Route, str, str]]:
    """Each demo URL naming objects, with one of its objects another organisation's (the
    demo's slug stays): (route, url, the kwarg made foreign)."""
    for route in ROUTES:
        names = [name for name in route.kwargs if name in OBJECT_KWARGS]
        if not names or not (route.in_organisation or route.kind == "scim"):
            continue
        for name in names:
            world = replace(setup.world)
            foreign_value = {
                "pk": None, "team_pk": setup.foreign.team, "team_id": setup.foreign.team,
                "group_id": setup.foreign.team, "person_pk": setup.foreign.person,
                "pipeline_id": setup.foreign.pipeline,
                "user_id": setup.foreign.person if route.kind == "scim" else setup.foreign.member,
                "history_id": setup.foreign.history, "other_slug": setup.other.slug,
                "other": setup.other.slug, "scenario": setup.other.slug,
                # The other organisation's team, named as a finding of the demo would be.
                "key": f"team.no_lead:{setup.foreign.team}",
            }[name]
            if name == "pk":
                # The pk's object, whichever it is, from the other organisation.
                world = replace(
                    setup.world, **{attr: getattr(setup.foreign, attr)
                                    for attr in PK_OBJECTS.values()}
                )
            elif name == "user_id" and route.kind == "scim":
                world.person = foreign_value
            elif name in ("team_pk", "team_id", "group_id"):
                world.team = foreign_value
            elif name == "person_pk":
                world.person = foreign_value
            elif name == "pipeline_id":
                world.pipeline = foreign_value
            elif name == "user_id":
                world.member = foreign_value
            elif name == "history_id":
                world.history = foreign_value
            elif name == "key":
                world.finding = foreign_value
            else:
                world.compare_with = foreign_value
            # The bodies keep naming the demo's own objects.
            yield route, url_of(route, world), name


def test_the_demos_admin_cannot_reach_another_organisations_objects(setup):
    admin_client = client_for(setup.demo, "admin")
    # A token of scope admin reaches every endpoint (the level table too), so each one is
    # asked for the other organisation's ids.
    admin_token = token_client(setup.demo, "admin")
    walk_ = Walk(setup.world, secrets=[
        "Otto Elsewhere", "Elsewhere Team", "Elsewhere pipeline"])
    for route, url, _ in _foreign_variants(setup):
        client = admin_token if route.kind in ("api", "scim") else admin_client
        methods = [m for m in route.methods if not (route.kind == "scim" and m == "POST")]
        walk_.run(client, route, url, methods, expect(404, 405))
    assert walk_.sent > 50
    walk_.assert_clean("the demo's admin (and admin token) naming another organisation's ids")


# Ids of another organisation in the body of a write --------------------------------------------


def test_a_write_naming_another_organisations_objects_in_its_body_is_refused(setup):
    writer = token_client(setup.demo, "write")
    editor = client_for(setup.demo, "editor")
    demo, foreign = setup.world, setup.foreign
    api = f"/api/v1/orgs/{demo.slug}/"
    json_writes = [
        ("POST", "people/", {"name": "X", "manager": foreign.person}),
        ("PATCH", f"people/{demo.person}/", {"manager": foreign.person}),
        ("PATCH", f"people/{demo.person}/", {"dotted_line_managers": [foreign.person]}),
        ("POST", "teams/", {"name": "X", "kind": "other", "lead": foreign.person}),
        ("PATCH", f"teams/{demo.team}/", {"lead": foreign.person}),
        ("POST", "memberships/", {"person": foreign.person, "team": demo.team,
                                  "allocation": 10}),
        ("POST", "memberships/", {"person": demo.person, "team": foreign.team,
                                  "allocation": 10}),
        ("POST", "pipelines/", {"name": "X", "pm_owner": foreign.person}),
        ("PATCH", f"pipelines/{demo.pipeline}/", {"pm_owner": foreign.person}),
        ("POST", "engagements/", {"pipeline": foreign.pipeline, "team": demo.team,
                                  "role": "owner"}),
        ("POST", "engagements/", {"pipeline": demo.pipeline, "team": foreign.team,
                                  "role": "owner"}),
        ("PATCH", "", {"ml_head": foreign.person}),
        ("POST", "positions/", {"team": foreign.team, "title": "X"}),
        ("POST", "positions/", {"team": demo.team, "title": "X", "pipeline": foreign.pipeline}),
        ("PATCH", f"positions/{demo.position}/", {"team": foreign.team}),
        ("PATCH", f"positions/{demo.position}/", {"status": "filled",
                                                  "person": foreign.person}),
    ]
    offences = []
    for method, path, body in json_writes:
        before = db_state()
        response = writer.generic(method, api + path, json.dumps(body),
                                  content_type="application/json")
        if response.status_code != 400 or changed_tables(before, db_state()):
            offences.append(f"{method} {api + path} {body} -> {response.status_code}")
    pages = f"/orgs/{demo.slug}/"
    form_writes = [
        ("people/new/", {"name": "X", "role": "other", "manager": foreign.person}),
        (f"people/{demo.person}/edit/", {"name": "X", "role": "other",
                                         "manager": foreign.person}),
        (f"people/{demo.person}/memberships/", {"team": foreign.team, "allocation": 10}),
        ("teams/new/", {"name": "X", "kind": "other", "lead": foreign.person}),
        (f"teams/{demo.team}/members/", {"person": foreign.person, "allocation": 10}),
        ("pipelines/", {"name": "X", "lifecycle": "incubating", "tier": "normal",
                        "pm_owner": foreign.person}),
        ("settings/", {"name": "X", "span_max": 3, "layers_max": 3,
                       "ml_head": foreign.person}),
    ]
    for path, body in form_writes:
        before = db_state()
        response = editor.post(pages + path, body)
        if response.status_code != 400 or changed_tables(before, db_state()):
            offences.append(f"POST {pages + path} {body} -> {response.status_code}")
    for body in ({"person": foreign.person}, {"person": demo.person, "manager": foreign.person}):
        before = db_state()
        response = editor.post(pages + "chart/move/", body)
        if response.status_code != 404 or changed_tables(before, db_state()):
            offences.append(f"POST {pages}chart/move/ {body} -> {response.status_code}")
    assert not offences, "Writes naming another organisation's ids:\n" + "\n".join(offences)


# Money: levels and costs reach admins only -------------------------------------------------


def _money_in(response, costs: list[int]) -> list[str]:
    """What in a response says money: a `data-money` element, a cost of the level table
    (as digits or with thousands separators), or a cost field of JSON or CSV."""
    text = content_of(response)
    found = [mark for mark in ("data-money", '"annual_cost"', '"cost"', ",cost\r\n", ",cost\n")
             if mark in text]
    found += [str(cost) for cost in costs if str(cost) in text or f"{cost:,}" in text]
    return found


def test_no_money_reaches_anyone_but_an_admin(setup):
    """Every GET of the demo (pages, API, CSV exports, the chart's data) as an editor, a
    viewer, a read token and a write token: no money anywhere. An admin and an admin token
    see it on the capacity page and in capacity.csv and levels/ (so the check can fail)."""
    from teams.models import Level

    costs = list(Level.objects.filter(organisation=setup.demo).values_list("annual_cost",
                                                                              flat=True))
    assert costs, "the demo has a level table"
    gets = [(route, url) for route, url in build_all(setup.world)
            if route.in_organisation and route.kind in ("page", "export", "api")
            and "GET" in route.methods]
    principals = {
        "editor": client_for(setup.demo, "editor"),
        "viewer": client_for(setup.demo, "viewer"),
        "read token": token_client(setup.demo, "read"),
        "write token": token_client(setup.demo, "write"),
    }
    offences, sent = [], 0
    for who, client in principals.items():
        for route, url in gets:
            token = who.endswith("token")
            if token != (route.kind in ("api", "export")) and route.kind != "export":
                continue
            response = client.get(url)
            sent += 1
            if response.status_code < 400 and (money := _money_in(response, costs)):
                offences.append(f"{who}: GET {url} [{route.name}] shows {money}")
    assert sent > 60
    assert not offences, "\n".join(offences)
    admin, admin_token = client_for(setup.demo, "admin"), token_client(setup.demo, "admin")
    slug = setup.demo.slug
    assert "data-money" in content_of(admin.get(f"/orgs/{slug}/capacity/"))
    assert ",cost" in content_of(admin_token.get(f"/orgs/{slug}/export/capacity.csv"))
    assert _money_in(admin_token.get(f"/api/v1/orgs/{slug}/levels/"), costs)
