"""A corpus of hostile inputs for every door that writes (and the query strings of the pages
and lists that read): each must answer 4xx, never 5xx, with a message that says why, and
write nothing.

Doors: the API's JSON (people, teams, memberships, pipelines, engagements, the organisation,
trying a fix), the people sync, SCIM (Users and Groups), the browser's forms, query strings,
URL paths, and the CSV imports. Inputs: NUL characters and lone surrogates, 100,000-character
strings, JSON nested 5,000 and 100,000 levels deep, values of the wrong JSON type, unknown and
read-only fields, bodies that are not JSON objects, digits Python's int() refuses ("²", 5,000
digits), numbers too big for any id (30 digits), dates past Python's, HTML and spreadsheet
formulas.

A query string value longer than 2,000 characters is refused before any view reads it
(orgdesign.web.inputs.BadInputMiddleware): exactly a 400 saying so, as text for a page, as
{"detail": ...} for the API and as a SCIM Error for SCIM. So a 100,000-character search or a
5,000-digit id in a query string is asserted as that refusal; shorter hostile values (a
superscript digit, 30 digits) still reach the views, which must answer them as "no such id".
A NUL or a lone surrogate in the path is refused by the same middleware, the same way.

What the design accepts is asserted as accepted: a name of exactly the longest length, a query
string value of exactly 2,000 characters, the same value sent back in a read-only field, HTML
in a name (shown escaped), a formula in a title (neutralised in every export).

Every case asserts the right behaviour: none is expected to fail.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import AsyncClient, Client

from pipelines.models import Engagement, Pipeline
from teams import services
from teams.models import (
    Membership,
    Organisation,
    Person,
    Team,
)
from teams.scim.schemas import CORE_GROUP, CORE_USER, ENTERPRISE_USER
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
from tests.snapshots import Snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unthrottled")]

SQLITE = connection.vendor == "sqlite"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

NUL = "A\x00da"
SURROGATE = "Ada \ud800"
LONG = "x" * 100_000
SUPERSCRIPT = "²"  # str.isdigit() says yes, int() says no
DIGITS = "9" * 5_000  # more digits than int() converts (4,300)
HUGE = "9" * 30  # digits int() converts, but more than any id has
MAX_QUERY_VALUE = 2_000  # the longest query string value a request may carry
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'


def deep(levels: int, inner: str = "") -> str:
    return "[" * levels + inner + "]" * levels


# The organisation ---------------------------------------------------------------------------


@dataclass
class Ids:
    slug: str
    person: int  # Ada, lead of Models, PM of Ranking
    other_person: int  # Bob, reporting to Ada
    team: int  # Models
    other_team: int  # Platform
    membership: int  # Ada in Models
    pipeline: int  # Ranking
    engagement: int  # Models owns Ranking
    person_version: str
    team_version: str
    pipeline_version: str


@pytest.fixture(scope="session")
def _organisation_snapshot(django_db_setup, django_db_blocker) -> Snapshot | None:
    """The rows of `organisation`, built once per test process: hundreds of cases ask for
    it (tests/snapshots.py)."""
    with django_db_blocker.unblock():
        return Snapshot.take(_build_organisation)


@pytest.fixture
def organisation(db, _organisation_snapshot) -> Organisation:
    """A small organisation (fast to build for hundreds of cases) with one of everything."""
    if _organisation_snapshot is None or not _organisation_snapshot.restore():
        _build_organisation()
    return Organisation.objects.get(slug="acme")


def _build_organisation() -> None:
    org = OrganisationFactory(slug="acme", name="Acme")
    ada = PersonFactory(organisation=org, name="Ada Lovelace", external_id="E1",
                        email="ada@acme.example", role="science_manager")
    PersonFactory(organisation=org, name="Bob Babbage", external_id="E2",
                  email="bob@acme.example", manager=ada)
    models = TeamFactory(organisation=org, name="Models", kind="modeling", lead=ada)
    TeamFactory(organisation=org, name="Platform", kind="infrastructure")
    MembershipFactory(person=ada, team=models, allocation=100)
    ranking = PipelineFactory(organisation=org, name="Ranking", pm_owner=ada)
    EngagementFactory(pipeline=ranking, team=models, role="owner")


@pytest.fixture
def ids(organisation) -> Ids:
    ada = Person.objects.get(organisation=organisation, external_id="E1")
    models = Team.objects.get(organisation=organisation, name="Models")
    ranking = Pipeline.objects.get(organisation=organisation, name="Ranking")
    return Ids(
        slug=organisation.slug,
        person=ada.pk,
        other_person=Person.objects.get(organisation=organisation, external_id="E2").pk,
        team=models.pk,
        other_team=Team.objects.get(organisation=organisation, name="Platform").pk,
        membership=Membership.objects.get(person=ada, team=models).pk,
        pipeline=ranking.pk,
        engagement=Engagement.objects.get(pipeline=ranking, team=models).pk,
        person_version=services.version_of(ada),
        team_version=services.version_of(models),
        pipeline_version=services.version_of(ranking),
    )


def quiet(client):
    """A client that answers a view's exception as the 500 a browser would get."""
    client.raise_request_exception = False
    return client


@pytest.fixture
def api(organisation):
    return quiet(token_client(organisation, "write"))


@pytest.fixture
def api_reader(organisation):
    return quiet(token_client(organisation, "read"))


@pytest.fixture
def browser(organisation):
    return quiet(client_for(organisation, "editor"))


@pytest.fixture
def admin_browser(organisation):
    return quiet(client_for(organisation, "admin"))


@pytest.fixture
def viewer_browser(organisation):
    return quiet(client_for(organisation, "viewer"))


# What a refusal must look like --------------------------------------------------------------


def assert_unchanged(before: dict) -> None:
    after = db_state()
    changed = {name: (before[name], after[name]) for name in before if before[name] != after[name]}
    assert not changed, f"the refused request changed {sorted(changed)}: {changed}"


def text_of(response) -> str:
    """The body as text; an exception raised while streaming it is the 500 it would be."""
    if response.streaming:
        try:
            return b"".join(response.streaming_content).decode("utf-8", "replace")
        except Exception as error:  # noqa: BLE001 - the client would get a broken download
            response.status_code = 500
            return f"error while streaming: {error!r}"
    return response.content.decode("utf-8", "replace")


def assert_4xx(response) -> str:
    body = text_of(response)
    assert 400 <= response.status_code < 500, (
        f"expected a 4xx, got {response.status_code}: {body[:500]}"
    )
    return body


def assert_api_refusal(response) -> Any:
    """4xx with JSON saying why: `detail`, or field errors (non-empty lists or dicts)."""
    assert_4xx(response)
    body = response.json()
    if isinstance(body, dict) and "detail" in body:
        assert isinstance(body["detail"], str) and body["detail"].strip(), body
    else:
        assert body, "a refusal without a message"
        values = body.values() if isinstance(body, dict) else body
        assert all(values), f"an empty error in {body}"
    return body


def assert_scim_refusal(response, status: int = 400, scim_type: str | None = None) -> dict:
    assert_4xx(response)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/scim+json"), response["Content-Type"]
    body = response.json()
    assert body.get("schemas") == [SCIM_ERROR], body
    assert body.get("status") == str(response.status_code), body
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    # A client reads the detail: not the validation library's internals.
    assert "pydantic" not in body["detail"], body["detail"]
    assert "validation error for" not in body["detail"], body["detail"]
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


def assert_page_refusal(response, fragment: str | None = None) -> None:
    body = html.unescape(assert_4xx(response))
    assert body.strip(), "a refusal without a message"
    if fragment is not None:
        assert fragment in body, f"{fragment!r} is not in the answer: {body[:1000]}"


def too_long_key(params: dict) -> str | None:
    """The key of the query string value over the limit, if one is."""
    keys = [key for key, value in params.items() if len(value) > MAX_QUERY_VALUE]
    assert len(keys) <= 1, f"a case sends more than one value over the limit: {keys}"
    return keys[0] if keys else None


def too_long_message(key: str) -> str:
    return (f"A query string value ({key!r}) is longer than {MAX_QUERY_VALUE} characters. "
            "Nothing was changed.")


def assert_too_long(response, key: str, door: str) -> None:
    """Exactly the 400 of a query string value over the limit."""
    assert_refusal(response, door, too_long_message(key))


def assert_refusal(response, door: str, message: str) -> None:
    """Exactly the 400 of BadInputMiddleware saying `message`, as `door` ("page", "api",
    "scim") answers a refusal."""
    if door == "scim":
        body = assert_scim_refusal(response, 400, "invalidValue")
        assert body["detail"] == message, body
        return
    body = assert_4xx(response)
    assert response.status_code == 400, f"{response.status_code}: {body[:300]}"
    if door == "api":
        assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
        assert response.json() == {"detail": message}, body[:300]
    else:
        assert response["Content-Type"].startswith("text/plain"), response["Content-Type"]
        assert body == message, body[:300]


# 1. The API's JSON ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Door:
    method: str
    path: Callable[[Ids], str]
    text_field: str  # a field that takes text (or, where none does, any field)


DOORS = {
    "people POST": Door("POST", lambda i: "people/", "name"),
    "people PATCH": Door("PATCH", lambda i: f"people/{i.person}/", "name"),
    "teams POST": Door("POST", lambda i: "teams/", "name"),
    "teams PATCH": Door("PATCH", lambda i: f"teams/{i.team}/", "name"),
    "memberships POST": Door("POST", lambda i: "memberships/", "allocation"),
    "memberships PATCH": Door("PATCH", lambda i: f"memberships/{i.membership}/", "allocation"),
    "pipelines POST": Door("POST", lambda i: "pipelines/", "name"),
    "pipelines PATCH": Door("PATCH", lambda i: f"pipelines/{i.pipeline}/", "name"),
    "engagements POST": Door("POST", lambda i: "engagements/", "role"),
    "engagements PATCH": Door("PATCH", lambda i: f"engagements/{i.engagement}/", "role"),
    "organisation PATCH": Door("PATCH", lambda i: "", "name"),
}

Body = str | bytes | dict | list | Callable[[Ids], Any]


def send_json(client, door: Door, ids: Ids, body: Body, content_type="application/json"):
    if callable(body):
        body = body(ids)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    url = f"/api/v1/orgs/{ids.slug}/{door.path(ids)}"
    return client.generic(door.method, url, data, content_type=content_type)


def _generic(field: str) -> list:
    """Bodies every door refuses, whatever its fields (`field`: one it has)."""
    return [
        pytest.param({field: NUL}, "NUL character", id="NUL"),
        pytest.param({field: SURROGATE}, "lone surrogate", id="lone-surrogate"),
        pytest.param(json.dumps({field: "@@"}).replace("@@", "\\ud800"), "lone surrogate",
                     id="lone-surrogate-escape"),
        pytest.param({"na\x00me": "x"}, "NUL character", id="NUL-in-a-key"),
        pytest.param(f'{{"{field}": "A\x00da"}}', "not valid JSON", id="raw-NUL-byte"),
        pytest.param({field: LONG}, None, id="100k-string"),
        pytest.param(deep(5_000), "nests deeper", id="array-5000-deep"),
        pytest.param(deep(100_000), "nests deeper", id="array-100000-deep"),
        pytest.param(f'{{"{field}": {deep(5_000)}}}', "nests deeper", id="field-5000-deep"),
        pytest.param(f'{{"{field}": {deep(100_000)}}}', "nests deeper", id="field-100000-deep"),
        pytest.param('{"a": ' * 5_000 + "1" + "}" * 5_000, "nests deeper",
                     id="objects-5000-deep"),
        pytest.param("{not json", "not valid JSON", id="not-JSON"),
        pytest.param(b'{"name": "\xff\xfe"}', "not UTF-8", id="not-UTF-8"),
        pytest.param("[]", None, id="a-list"),
        pytest.param(json.dumps([{field: "x"}]), None, id="a-list-of-objects"),
        pytest.param('"Ada"', None, id="a-string"),
        pytest.param("123", None, id="a-number"),
        pytest.param({"nmae": "x"}, "Unknown field", id="unknown-field"),
        pytest.param({"id": 987654}, "read only", id="read-only-id"),
        pytest.param({"updated_at": "2000-01-01T00:00:00Z"}, "read only",
                     id="read-only-updated_at"),
    ]


GENERIC = [
    pytest.param(door, *case.values, id=f"{name}-{case.id}")
    for name, door in DOORS.items()
    for case in _generic(door.text_field)
]


@pytest.mark.parametrize(("door", "body", "message"), GENERIC)
def test_the_api_refuses_a_hostile_body(api, ids, door, body, message):
    before = db_state()
    response = send_json(api, door, ids, body)
    refusal = assert_api_refusal(response)
    if message:
        assert message in json.dumps(refusal), refusal
    assert_unchanged(before)


@pytest.mark.parametrize("door", list(DOORS.values()), ids=list(DOORS))
def test_the_api_refuses_a_form_encoded_body(api, ids, door):
    before = db_state()
    response = send_json(api, door, ids, "name=x",
                         content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert_api_refusal(response)
    assert_unchanged(before)


def _person(**fields):
    return {"name": "Hostile", **fields}


# Wrong types, values no field takes, and the rules: each answers 400 naming the field.
TYPED = [
    # people
    ("people POST", _person(name=123), "name"),
    ("people POST", _person(name=["Ada"]), "name"),
    ("people POST", _person(name={"first": "Ada"}), "name"),
    ("people POST", _person(name=True), "name"),
    ("people POST", _person(name=None), "name"),
    ("people POST", _person(name=""), "name"),
    ("people POST", _person(name="x" * 201), "name"),
    ("people POST", _person(manager=1.5), "manager"),
    ("people POST", _person(manager="12"), "manager"),
    ("people POST", _person(manager=True), "manager"),
    ("people POST", _person(manager=[1]), "manager"),
    ("people POST", _person(manager=10**30), "manager"),
    ("people POST", _person(manager=-1), "manager"),
    ("people POST", '{"name": "Hostile", "manager": NaN}', "manager"),
    ("people POST", _person(active="yes"), "active"),
    ("people POST", _person(active=1), "active"),
    ("people POST", _person(role="god"), "role"),
    ("people POST", _person(role=1), "role"),
    ("people POST", _person(email=5), "email"),
    ("people POST", _person(email="not an email"), "email"),
    ("people POST", _person(external_id=5), "external_id"),
    ("people POST", _person(external_id="e" * 101), "external_id"),
    ("people POST", _person(manager_external_id=5), "manager_external_id"),
    ("people POST", _person(manager_external_id="nobody"), "manager_external_id"),
    ("people POST", _person(dotted_line_managers="12"), "dotted_line_managers"),
    ("people POST", _person(dotted_line_managers={"a": 1}), "dotted_line_managers"),
    ("people POST", _person(dotted_line_managers=[1.5]), "dotted_line_managers"),
    ("people PATCH", {"manager": "12"}, "manager"),
    ("people PATCH", lambda i: {"manager": i.person}, "manager"),  # their own manager
    ("people PATCH", {"title": ["Boss"]}, "title"),
    ("people PATCH", {"id": 987654}, "id"),
    # teams
    ("teams POST", {"name": 123, "kind": "other"}, "name"),
    ("teams POST", {"name": "x" * 121, "kind": "other"}, "name"),
    ("teams POST", {"name": "a:b", "kind": "other"}, "name"),
    ("teams POST", {"name": "Pipeline", "kind": "other"}, "name"),
    ("teams POST", {"name": "Models", "kind": "other"}, "name"),  # taken
    ("teams POST", {"name": "T", "kind": "god"}, "kind"),
    ("teams POST", {"name": "T", "kind": 1}, "kind"),
    ("teams POST", {"name": "T", "lead": "12"}, "lead"),
    ("teams POST", {"name": "T", "lead": 1.5}, "lead"),
    ("teams POST", {"name": "T", "kpi_type": "god"}, "kpi_type"),
    ("teams POST", {"name": "T", "kpi": ["x"]}, "kpi"),
    ("teams POST", {"name": "T", "in_ml_org": True}, "in_ml_org"),
    ("teams PATCH", {"in_ml_org": False}, "in_ml_org"),
    ("teams PATCH", {"name": "x" * 121}, "name"),
    # memberships
    ("memberships POST", lambda i: {"person": i.other_person, "team": i.team,
                                    "allocation": "60"}, "allocation"),
    ("memberships POST", lambda i: {"person": i.other_person, "team": i.team,
                                    "allocation": 60.5}, "allocation"),
    ("memberships POST", lambda i: {"person": i.other_person, "team": i.team,
                                    "allocation": True}, "allocation"),
    ("memberships POST", lambda i: {"person": i.other_person, "team": i.team,
                                    "allocation": 0}, "allocation"),
    ("memberships POST", lambda i: {"person": i.other_person, "team": i.team,
                                    "allocation": 101}, "allocation"),
    ("memberships POST", lambda i: {"person": i.other_person, "team": i.team,
                                    "allocation": 10**30}, "allocation"),
    ("memberships POST", lambda i: {"person": str(i.other_person), "team": i.team,
                                    "allocation": 50}, "person"),
    ("memberships POST", lambda i: {"person": i.other_person, "team": i.team + 0.5,
                                    "allocation": 50}, "team"),
    ("memberships POST", lambda i: {"person": i.person, "team": i.team,
                                    "allocation": 50}, "non_field_errors"),  # exists
    ("memberships PATCH", {"allocation": "60"}, "allocation"),
    ("memberships PATCH", {"allocation": 60.5}, "allocation"),
    ("memberships PATCH", {"allocation": 60.0}, "allocation"),
    ("memberships PATCH", lambda i: {"team": i.other_team}, "team"),  # read only
    ("memberships PATCH", lambda i: {"person": i.other_person}, "person"),  # read only
    # pipelines
    ("pipelines POST", {"name": 123}, "name"),
    ("pipelines POST", {"name": "x" * 201}, "name"),
    ("pipelines POST", {"name": "Ranking"}, "name"),  # taken
    ("pipelines POST", {"name": "P", "required_stages": "data"}, "required_stages"),
    ("pipelines POST", {"name": "P", "required_stages": ["god"]}, "required_stages"),
    ("pipelines POST", {"name": "P", "required_stages": [1]}, "required_stages"),
    ("pipelines POST", {"name": "P", "required_stages": {"data": True}}, "required_stages"),
    ("pipelines POST", {"name": "P", "lifecycle": "god"}, "lifecycle"),
    ("pipelines POST", {"name": "P", "tier": 1}, "tier"),
    ("pipelines POST", {"name": "P", "pm_owner": "12"}, "pm_owner"),
    ("pipelines POST", {"name": "P", "metric": "m" * 201}, "metric"),
    ("pipelines PATCH", {"required_stages": [["data"]]}, "required_stages"),
    ("pipelines PATCH", {"required_stages": None}, "required_stages"),
    # engagements
    ("engagements POST", lambda i: {"pipeline": i.pipeline, "team": i.other_team,
                                    "role": "god"}, "role"),
    ("engagements POST", lambda i: {"pipeline": i.pipeline, "team": i.other_team,
                                    "role": 1}, "role"),
    ("engagements POST", lambda i: {"pipeline": str(i.pipeline), "team": i.other_team,
                                    "role": "owner"}, "pipeline"),
    ("engagements POST", lambda i: {"pipeline": i.pipeline, "team": i.other_team + 0.5,
                                    "role": "owner"}, "team"),
    ("engagements POST", lambda i: {"pipeline": i.pipeline, "team": i.team,
                                    "role": "service"}, "non_field_errors"),  # exists
    ("engagements PATCH", {"role": "god"}, "role"),
    ("engagements PATCH", {"role": None}, "role"),
    ("engagements PATCH", lambda i: {"team": i.other_team}, "team"),  # read only
    # the organisation
    ("organisation PATCH", {"name": 123}, "name"),
    ("organisation PATCH", {"name": ""}, "name"),
    ("organisation PATCH", {"span_max": "5"}, "span_max"),
    ("organisation PATCH", {"span_max": 5.5}, "span_max"),
    ("organisation PATCH", {"span_max": True}, "span_max"),
    ("organisation PATCH", {"span_max": 10**30}, "span_max"),
    ("organisation PATCH", {"span_max": -1}, "span_max"),
    ("organisation PATCH", '{"span_max": Infinity}', "span_max"),
    ("organisation PATCH", {"layers_max": "3"}, "layers_max"),
    ("organisation PATCH", {"ml_head": "12"}, "ml_head"),
    ("organisation PATCH", {"ml_head": 1.5}, "ml_head"),
    ("organisation PATCH", {"ml_head": 10**30}, "ml_head"),
    ("organisation PATCH", {"slug": "stolen"}, "slug"),  # read only
]


def _typed_id(door: str, body, field: str) -> str:
    shown = "<computed>" if callable(body) else body if isinstance(body, str) else json.dumps(
        body)
    return f"{door}-{field}-{shown[:40]}"


@pytest.mark.parametrize(
    ("door", "body", "field"),
    [pytest.param(DOORS[door], body, field, id=_typed_id(door, body, field))
     for door, body, field in TYPED],
)
def test_the_api_refuses_a_wrong_value_naming_its_field(api, ids, door, body, field):
    before = db_state()
    response = send_json(api, door, ids, body)
    assert response.status_code == 400, response.content[:500]
    refusal = assert_api_refusal(response)
    assert field in refusal, f"the refusal does not name {field!r}: {refusal}"
    assert_unchanged(before)


@pytest.mark.parametrize(("door", "body"), [
    pytest.param("people POST", {"name": "x" * 200}, id="person-name-200"),
    pytest.param("people POST", {"name": "Zoë Ñúñez 🚀 محمد"}, id="person-name-unicode"),
    pytest.param("people POST", {"name": "Ada", "title": "t" * 200}, id="person-title-200"),
    pytest.param("teams POST", {"name": "x" * 120, "kind": "other"}, id="team-name-120"),
    pytest.param("pipelines POST", {"name": "x" * 200}, id="pipeline-name-200"),
    pytest.param("people PATCH", lambda i: {"id": i.person, "name": "Ada L."},
                 id="read-only-id-sent-back"),
    pytest.param("organisation PATCH", {"slug": "acme", "name": "Acme Ltd"},
                 id="read-only-slug-sent-back"),
])
def test_the_api_accepts_what_is_valid_at_the_limits(api, ids, door, body):
    response = send_json(api, DOORS[door], ids, body)
    assert response.status_code in (200, 201), response.content[:500]


def unowned_data(i: Ids) -> str:
    """The key of Ranking's data stage, which no team owns: a finding with one remedy, so a
    try that gets through makes a scenario (a new organisation, which db_state sees)."""
    return f"pipeline.stage_unowned:{i.pipeline}:data"


WHOLE_NUMBER = "A whole number is required (not text or a decimal)."

# Trying a fix (findings/<key>/remedies/): its body is strict like every write of the API.
REMEDY_BODIES = [
    pytest.param({"rank": "1"}, "rank", WHOLE_NUMBER, id="rank-text"),
    pytest.param({"rank": 1.0}, "rank", WHOLE_NUMBER, id="rank-float"),
    pytest.param({"rank": True}, "rank", WHOLE_NUMBER, id="rank-bool"),
    pytest.param({"rank": [1]}, "rank", WHOLE_NUMBER, id="rank-list"),
    pytest.param({"rank": SUPERSCRIPT}, "rank", WHOLE_NUMBER, id="rank-superscript"),
    pytest.param({"rank": DIGITS}, "rank", WHOLE_NUMBER, id="rank-5000-digits-text"),
    pytest.param({"rank": 1, "summary": 5}, "summary", "Not a valid string.",
                 id="summary-number"),
    pytest.param({"rank": 1, "summary": 1.5}, "summary", "Not a valid string.",
                 id="summary-float"),
    pytest.param({"rank": 1, "colour": "red"}, "colour",
                 "Unknown field: this resource has no such field.", id="unknown-field"),
]


@pytest.mark.parametrize(("body", "field", "message"), REMEDY_BODIES)
def test_the_remedies_api_refuses_a_value_of_the_wrong_type(api, ids, body, field, message):
    before = db_state()
    response = api.post(f"/api/v1/orgs/{ids.slug}/findings/{unowned_data(ids)}/remedies/",
                        json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content[:500]
    assert assert_api_refusal(response) == {field: [message]}
    assert_unchanged(before)


@pytest.mark.parametrize("key", [SUPERSCRIPT, "1²", DIGITS],
                         ids=["superscript", "digit-superscript", "5000-digits"])
def test_a_finding_key_that_is_no_position_names_no_finding(api, browser, ids, key):
    # A key of digits is the finding's position: "²" passes str.isdigit() but not int().
    page = f"/orgs/{ids.slug}/findings/{key}/remedies/"
    api_url = f"/api/v1/orgs/{ids.slug}/findings/{key}/remedies/"
    before = db_state()
    for response in (
        browser.get(page),
        browser.post(page, {"rank": "1"}),
        api.get(api_url),
        api.post(api_url, json.dumps({"rank": 1}), content_type="application/json"),
    ):
        body = assert_4xx(response)
        assert response.status_code == 404, body[:300]
        assert "has no such finding" in html.unescape(body), body[:1000]
    assert_unchanged(before)


# 2. The people sync -----------------------------------------------------------------------------


def _record(**fields):
    return {"external_id": "H1", "name": "Hostile", **fields}


def _sync(api, ids, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return api.generic("POST", f"/api/v1/orgs/{ids.slug}/people/sync/", data,
                       content_type="application/json")


def assert_sync_refusal(response, index: int, field: str) -> None:
    """400 with the answer of a refused sync: zero counts and the bad record's errors."""
    assert response.status_code == 400, response.content[:500]
    body = response.json()
    assert set(body) == {"created", "updated", "deactivated", "unchanged", "errors"}, body
    assert (body["created"], body["updated"], body["deactivated"], body["unchanged"]) == (
        0, 0, 0, 0)
    errors = {error["index"]: error for error in body["errors"]}
    assert index in errors, body
    assert field in errors[index]["errors"], body
    assert all(messages for messages in errors[index]["errors"].values()), body


SYNC_RECORDS = [
    pytest.param([_record(name=123)], 0, "name", id="name-number"),
    pytest.param([_record(name=["Ada"])], 0, "name", id="name-list"),
    pytest.param([_record(name=LONG)], 0, "name", id="name-100k"),
    pytest.param([_record(name="x" * 201)], 0, "name", id="name-201"),
    pytest.param([_record(name="  ")], 0, "name", id="name-blank"),
    pytest.param([{"external_id": "H1"}], 0, "name", id="new-person-without-name"),
    pytest.param([_record(external_id=5)], 0, "external_id", id="external_id-number"),
    pytest.param([_record(external_id="")], 0, "external_id", id="external_id-empty"),
    pytest.param([_record(external_id="e" * 101)], 0, "external_id", id="external_id-101"),
    pytest.param([_record(email="not an email")], 0, "email", id="email-invalid"),
    pytest.param([_record(email="bob@acme.example")], 0, "email", id="email-taken"),
    pytest.param([_record(title=5)], 0, "title", id="title-number"),
    pytest.param([_record(department="d" * 201)], 0, "department", id="department-201"),
    pytest.param([_record(role="god")], 0, "role", id="role-god"),
    pytest.param([_record(role=["scientist"])], 0, "role", id="role-list"),
    pytest.param([_record(active="yes")], 0, "active", id="active-yes"),
    pytest.param([_record(active=1)], 0, "active", id="active-1"),
    pytest.param([_record(manager_external_id=5)], 0, "manager_external_id",
                 id="manager-number"),
    pytest.param([_record(manager_external_id="H1")], 0, "manager_external_id",
                 id="manager-self"),
    pytest.param([_record(manager_external_id="nobody")], 0, "manager_external_id",
                 id="manager-unknown"),
    pytest.param([_record(teams="Models")], 0, "teams", id="teams-a-string"),
    pytest.param([_record(teams={"team": "Models"})], 0, "teams", id="teams-an-object"),
    pytest.param([_record(teams=None)], 0, "teams", id="teams-null"),
    pytest.param([_record(teams=["Models"])], 0, "teams", id="teams-of-strings"),
    pytest.param([_record(teams=[{"team": "Models", "allocation": "60"}])], 0, "teams",
                 id="allocation-text"),
    pytest.param([_record(teams=[{"team": "Models", "allocation": 60.5}])], 0, "teams",
                 id="allocation-decimal"),
    pytest.param([_record(teams=[{"team": "Models", "allocation": True}])], 0, "teams",
                 id="allocation-true"),
    pytest.param([_record(teams=[{"team": "Models", "allocation": 0}])], 0, "teams",
                 id="allocation-0"),
    pytest.param([_record(teams=[{"team": "Models", "allocation": 10**30}])], 0, "teams",
                 id="allocation-huge"),
    pytest.param([_record(teams=[{"team": 5, "allocation": 50}])], 0, "teams",
                 id="team-number"),
    pytest.param([_record(teams=[{"team": "Nowhere", "allocation": 50}])], 0, "teams",
                 id="team-unknown"),
    pytest.param([_record(teams=[{"team": "Models", "allocaton": 60}])], 0, "teams",
                 id="team-entry-misspelt-allocation"),
    pytest.param([_record(nmae="x")], 0, "nmae", id="unknown-field"),
    pytest.param([_record(id=5)], 0, "id", id="id-field"),
    pytest.param([_record(), _record()], 1, "external_id", id="external_id-twice"),
    pytest.param([_record(), _record(external_id="H2", role="god")], 1, "role",
                 id="one-bad-record-of-two"),
    pytest.param([_record(manager_external_id="H2"),
                  _record(external_id="H2", manager_external_id="H1")], 0,
                 "manager_external_id", id="reporting-loop"),
    pytest.param(["Ada"], 0, "non_field_errors", id="record-a-string"),
    pytest.param([None], 0, "non_field_errors", id="record-null"),
    pytest.param([["Ada"]], 0, "non_field_errors", id="record-a-list"),
]


@pytest.mark.parametrize(("people", "index", "field"), SYNC_RECORDS)
def test_the_sync_refuses_a_batch_with_a_bad_record_writing_nothing(api, ids, people, index,
                                                                     field):
    before = db_state()
    assert_sync_refusal(_sync(api, ids, {"people": people}), index, field)
    assert_unchanged(before)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_a_refused_sync_reports_every_bad_record(api, ids, is_async):
    before = db_state()
    people = [_record(), _record(external_id="H2", name=5), _record(external_id="H3",
                                                                     role="god")]
    response = _sync(api, ids, {"people": people, "async": is_async})
    assert_sync_refusal(response, 1, "name")
    assert_sync_refusal(response, 2, "role")
    assert_unchanged(before)


SYNC_ENVELOPES = [
    pytest.param({"people": [_record(name=NUL)]}, "NUL character", id="NUL-in-a-record"),
    pytest.param({"people": [_record(name=SURROGATE)]}, "lone surrogate",
                 id="lone-surrogate-in-a-record"),
    pytest.param({"people": [{**_record(), "na\x00me": "x"}]}, "NUL character",
                 id="NUL-in-a-key"),
    pytest.param('{"people": [' + deep(5_000) + "]}", "nests deeper", id="5000-deep"),
    pytest.param(deep(100_000), "nests deeper", id="100000-deep"),
    pytest.param('{"people": [{"external_id": "H1", "name": ' + deep(5_000) + "}]}",
                 "nests deeper", id="5000-deep-in-a-field"),
    pytest.param("{not json", "not valid JSON", id="not-JSON"),
    pytest.param("[]", None, id="a-list"),
    pytest.param(json.dumps([_record()]), None, id="the-records-alone"),
    pytest.param({}, "people", id="no-people"),
    pytest.param({"people": "H1"}, "people", id="people-a-string"),
    pytest.param({"people": {"H1": {}}}, "people", id="people-an-object"),
    pytest.param({"people": [], "mode": "god"}, "mode", id="mode-god"),
    pytest.param({"people": [], "dry_run": "yes"}, "dry_run", id="dry_run-yes"),
    pytest.param({"people": [], "async": "yes"}, "async", id="async-yes"),
    pytest.param({"people": [], "peeple": []}, "peeple", id="unknown-field"),
]


@pytest.mark.parametrize(("body", "message"), SYNC_ENVELOPES)
def test_the_sync_refuses_a_body_it_cannot_read(api, ids, body, message):
    before = db_state()
    response = _sync(api, ids, body)
    assert response.status_code == 400, response.content[:500]
    refusal = assert_api_refusal(response)
    if message:
        assert message in json.dumps(refusal), refusal
    assert_unchanged(before)


# 3. SCIM ----------------------------------------------------------------------------------------


class Scim:
    def __init__(self, client: Client, key: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"}

    def send(self, method: str, path: str, body=None, content_type="application/scim+json"):
        kwargs: dict = {"headers": self.headers}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = content_type
        return getattr(self.client, method)(f"/scim/v2/{path}", **kwargs)

    def get(self, path: str, params: dict):
        return self.client.get(f"/scim/v2/{path}", params, headers=self.headers)


@pytest.fixture
def scim(organisation, api) -> Scim:
    return Scim(quiet(Client()), api.key)


def _user(**fields):
    return {"schemas": [CORE_USER], "userName": "hostile@acme.example", **fields}


def _group(**fields):
    return {"schemas": [CORE_GROUP], "displayName": "Hostile", **fields}


def _ops(*operations):
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def _replace(path, value):
    return _ops({"op": "replace", "path": path, "value": value})


# (method, path: "user"/"group" for the item, body, scimType expected or None)
SCIM_CASES = [
    # Users: POST
    ("post", "Users", _user(userName="a\x00@acme.example"), "invalidValue", "NUL-userName"),
    ("post", "Users", _user(displayName=SURROGATE), "invalidValue", "surrogate-displayName"),
    ("post", "Users", json.dumps(_user(displayName="x")).replace('"x"', '"\\udfff"'),
     "invalidValue", "surrogate-escape"),
    ("post", "Users", {**_user(), "user\x00Name": "x"}, "invalidValue", "NUL-key"),
    ("post", "Users", _user(userName=123), "invalidValue", "userName-number"),
    ("post", "Users", _user(userName=["a"]), "invalidValue", "userName-list"),
    ("post", "Users", _user(userName=LONG), "invalidValue", "userName-100k"),
    ("post", "Users", _user(displayName=LONG), "invalidValue", "displayName-100k"),
    ("post", "Users", _user(displayName=123), "invalidValue", "displayName-number"),
    ("post", "Users", _user(title="t" * 201), "invalidValue", "title-201"),
    ("post", "Users", _user(externalId="e" * 101), "invalidValue", "externalId-101"),
    ("post", "Users", _user(emails=[{"value": "not an email", "primary": True}]),
     "invalidValue", "email-invalid"),
    ("post", "Users", _user(emails="x"), "invalidValue", "emails-a-string"),
    ("post", "Users", _user(**{ENTERPRISE_USER: {"manager": {"value": "abc"}}}),
     "invalidValue", "manager-abc"),
    ("post", "Users", _user(**{ENTERPRISE_USER: {"manager": {"value": SUPERSCRIPT}}}),
     "invalidValue", "manager-superscript"),
    ("post", "Users", _user(**{ENTERPRISE_USER: {"manager": {"value": DIGITS}}}),
     "invalidValue", "manager-5000-digits"),
    ("post", "Users", _user(**{ENTERPRISE_USER: {"department": "d" * 201}}),
     "invalidValue", "department-201"),
    ("post", "Users", {"schemas": [CORE_USER], "displayName": "No login"}, None,
     "no-userName"),
    ("post", "Users", deep(5_000), "invalidSyntax", "5000-deep"),
    ("post", "Users", deep(100_000), "invalidSyntax", "100000-deep"),
    ("post", "Users", json.dumps(_user(userName="x"))[:-1] + ', "name": ' + deep(5_000) + "}",
     "invalidSyntax", "5000-deep-in-a-field"),
    ("post", "Users", "{not json", "invalidSyntax", "not-JSON"),
    ("post", "Users", b'{"userName": "\xff"}', "invalidSyntax", "not-UTF-8"),
    ("post", "Users", "[]", None, "a-list"),
    ("post", "Users", '"hostile"', None, "a-string"),
    # Users: PATCH and PUT
    ("patch", "user", _replace("title", NUL), "invalidValue", "PATCH-NUL"),
    ("patch", "user", _ops({"op": "replace", "value": {"title": SURROGATE}}), "invalidValue",
     "PATCH-surrogate"),
    ("patch", "user", _replace("title", LONG), "invalidValue", "PATCH-title-100k"),
    ("patch", "user", _replace("title", 5), "invalidValue", "PATCH-title-number"),
    ("patch", "user", _replace("displayName", ["x"]), "invalidValue",
     "PATCH-displayName-list"),
    ("patch", "user", _ops({"op": "god", "path": "title", "value": "x"}), "invalidValue",
     "PATCH-op-god"),
    ("patch", "user", {"schemas": [PATCH_OP], "Operations": "replace"}, "invalidValue",
     "PATCH-Operations-a-string"),
    ("patch", "user", _replace("nope", "x"), "invalidPath", "PATCH-unknown-path"),
    ("patch", "user", _replace("title[", "x"), "invalidPath", "PATCH-broken-path"),
    ("patch", "user", _replace(f"{ENTERPRISE_USER}:manager", SUPERSCRIPT), "invalidValue",
     "PATCH-manager-superscript"),
    ("patch", "user", _replace(f"{ENTERPRISE_USER}:manager", {"value": DIGITS}),
     "invalidValue", "PATCH-manager-5000-digits"),
    ("patch", "user", json.dumps(_replace("title", "x")).replace('"x"', deep(5_000)),
     "invalidSyntax", "PATCH-5000-deep"),
    ("patch", "user", deep(100_000), "invalidSyntax", "PATCH-100000-deep"),
    ("patch", "user", "[]", None, "PATCH-a-list"),
    ("patch", "user", "{", "invalidSyntax", "PATCH-not-JSON"),
    ("put", "user", _user(userName="a\x00"), "invalidValue", "PUT-NUL"),
    ("put", "user", _user(displayName=LONG), None, "PUT-displayName-100k"),
    # Groups
    ("post", "Groups", _group(displayName=NUL), "invalidValue", "group-NUL"),
    ("post", "Groups", _group(displayName=LONG), "invalidValue", "group-name-100k"),
    ("post", "Groups", _group(displayName=5), "invalidValue", "group-name-number"),
    ("post", "Groups", _group(displayName="a:b"), "invalidValue", "group-name-separator"),
    ("post", "Groups", _group(displayName="Models"), "uniqueness", "group-name-taken"),
    ("post", "Groups", _group(members=[{"value": "abc"}]), "invalidValue", "member-abc"),
    ("post", "Groups", _group(members=[{"value": SUPERSCRIPT}]), "invalidValue",
     "member-superscript"),
    ("post", "Groups", _group(members=[{"value": DIGITS}]), "invalidValue",
     "member-5000-digits"),
    ("post", "Groups", _group(members=[{"value": 5}]), "invalidValue", "member-number"),
    ("post", "Groups", _group(members="everyone"), "invalidValue", "members-a-string"),
    ("post", "Groups", deep(5_000), "invalidSyntax", "group-5000-deep"),
    ("post", "Groups", deep(100_000), "invalidSyntax", "group-100000-deep"),
    ("post", "Groups", "{no", "invalidSyntax", "group-not-JSON"),
    ("patch", "group", _ops({"op": "add", "path": "members", "value": [{"value": NUL}]}),
     "invalidValue", "group-PATCH-member-NUL"),
    ("patch", "group", _ops({"op": "add", "path": "members",
                             "value": [{"value": SUPERSCRIPT}]}),
     "invalidValue", "group-PATCH-member-superscript"),
    ("patch", "group", _ops({"op": "add", "path": "members", "value": [{"value": DIGITS}]}),
     "invalidValue", "group-PATCH-member-5000-digits"),
    ("patch", "group", _replace("displayName", LONG), "invalidValue", "group-PATCH-name-100k"),
    ("patch", "group", _replace("displayName", ["x"]), "invalidValue",
     "group-PATCH-name-list"),
    ("patch", "group", _ops({"op": "god"}), "invalidValue", "group-PATCH-op-god"),
    ("patch", "group", deep(5_000), "invalidSyntax", "group-PATCH-5000-deep"),
    ("patch", "group", "{", "invalidSyntax", "group-PATCH-not-JSON"),
    ("put", "group", _group(displayName=NUL), "invalidValue", "group-PUT-NUL"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "scim_type"),
    [pytest.param(method, path, body, scim_type, id=name)
     for method, path, body, scim_type, name in SCIM_CASES],
)
def test_scim_refuses_a_hostile_payload(scim, ids, method, path, body, scim_type):
    path = {"user": f"Users/{ids.person}", "group": f"Groups/{ids.team}"}.get(path, path)
    before = db_state()
    response = scim.send(method, path, body)
    status = 409 if scim_type == "uniqueness" else 400  # a taken name is a conflict
    assert_scim_refusal(response, status, scim_type)
    assert_unchanged(before)


def test_scim_refuses_a_form_encoded_body(scim):
    before = db_state()
    response = scim.send("post", "Users", "userName=x",
                         content_type="application/x-www-form-urlencoded")
    assert_scim_refusal(response, 415)
    assert_unchanged(before)


SCIM_QUERIES = [
    pytest.param("Users", {"filter": 'userName eq "a\x00"'}, "invalidValue", id="filter-NUL"),
    pytest.param("Users", {"attributes": "\x00"}, "invalidValue", id="attributes-NUL"),
    pytest.param("Users", {"filter": "garbage(("}, "invalidFilter", id="filter-garbage"),
    pytest.param("Users", {"startIndex": SUPERSCRIPT}, "invalidValue",
                 id="startIndex-superscript"),
    pytest.param("Users", {"startIndex": HUGE}, "invalidValue", id="startIndex-huge"),
    # Over the query string limit: the middleware's SCIM Error, before SCIM reads them.
    pytest.param("Users", {"startIndex": DIGITS}, "invalidValue", id="startIndex-5000-digits"),
    pytest.param("Groups", {"count": DIGITS}, "invalidValue", id="count-5000-digits"),
    pytest.param("Users", {"filter": f'id eq "{DIGITS}"'}, "invalidValue",
                 id="filter-id-5000-digits"),
    pytest.param("Users", {"filter": f'userName eq "{LONG}"'}, "invalidValue",
                 id="filter-userName-100k"),
    pytest.param("Groups", {"filter": f'displayName eq "{LONG}"'}, "invalidValue",
                 id="group-filter-displayName-100k"),
    pytest.param("Users", {"filter": 'userName eq "' + "x" * (MAX_QUERY_VALUE - 13) + '"'},
                 "invalidValue", id="filter-2001"),
]


@pytest.mark.parametrize(("path", "params", "scim_type"), SCIM_QUERIES)
def test_scim_refuses_a_hostile_query(scim, path, params, scim_type):
    before = db_state()
    response = scim.get(path, params)
    if (key := too_long_key(params)) is not None:
        assert_too_long(response, key, "scim")
    else:
        assert_scim_refusal(response, 400, scim_type)
    assert_unchanged(before)


@pytest.mark.parametrize("params", [
    pytest.param({"filter": f'id eq "{SUPERSCRIPT}"'}, id="id-superscript"),
    pytest.param({"filter": f'id eq "{HUGE}"'}, id="id-huge"),
    pytest.param({"filter": 'userName eq "' + "x" * (MAX_QUERY_VALUE - 14) + '"'},
                 id="userName-filter-of-2000"),
    pytest.param({"count": "-1"}, id="count-negative"),
])
def test_scim_answers_a_query_matching_nobody_with_an_empty_page(scim, params):
    assert all(len(value) <= MAX_QUERY_VALUE for value in params.values())
    response = scim.get("Users", params)
    assert response.status_code == 200, response.content[:500]
    assert response.json()["Resources"] == []


@pytest.mark.parametrize("user_id", [SUPERSCRIPT, DIGITS, "-1", "1.5", "abc"])
def test_scim_answers_404_for_an_id_no_user_has(scim, user_id):
    before = db_state()
    for method in ("get", "delete"):
        assert_scim_refusal(scim.send(method, f"Users/{user_id}"), 404)
        assert_scim_refusal(scim.send(method, f"Groups/{user_id}"), 404)
    assert_unchanged(before)


# 4. The browser's forms -------------------------------------------------------------------------


def _post(client, url: str, data: dict, encoding: str):
    if encoding == "urlencoded":
        return client.post(url, urlencode(data, doseq=True),
                           content_type="application/x-www-form-urlencoded")
    return client.post(url, data)  # multipart/form-data, as a browser sends with a file


def _person_edit(i: Ids, **changes) -> dict:
    return {"name": "Ada Lovelace", "external_id": "E1", "email": "ada@acme.example",
            "role": "science_manager", "active": "on", "version": i.person_version, **changes}


def _team_edit(i: Ids, **changes) -> dict:
    return {"name": "Models", "kind": "modeling", "lead": i.person,
            "version": i.team_version, **changes}


def _pipeline_edit(i: Ids, **changes) -> dict:
    return {"name": "Ranking", "lifecycle": "production", "tier": "normal",
            "required_stages": ["data", "modeling"], "version": i.pipeline_version, **changes}


NEW_PIPELINE = {"name": "P", "lifecycle": "incubating", "tier": "normal",
                "required_stages": ["data", "modeling"]}
NUL_FORM = "NUL character"  # the middleware's message for an urlencoded form
NUL_FIELD = "Null characters are not allowed."  # a Django form's, for a multipart one

# (who, url, data, encoding, fragment of the message)
FORMS = [
    # a person
    ("people/new/", {"name": NUL, "role": "other"}, "urlencoded", NUL_FORM, "person-NUL"),
    ("people/new/", {"name": NUL, "role": "other"}, "multipart", NUL_FIELD,
     "person-NUL-multipart"),
    ("people/new/", {"name": "Ada", "title": NUL, "role": "other"}, "multipart", NUL_FIELD,
     "person-title-NUL-multipart"),
    ("people/new/", {"name": LONG, "role": "other"}, "multipart", "At most 200 characters",
     "person-name-100k"),
    ("people/new/", {"name": "x" * 201, "role": "other"}, "multipart", "At most 200 characters",
     "person-name-201"),
    ("people/new/", {"name": "", "role": "other"}, "multipart", None, "person-name-empty"),
    ("people/new/", {"name": "Ada", "role": "god"}, "multipart", "valid choice",
     "person-role-god"),
    ("people/new/", {"name": "Ada", "role": "other", "email": "not an email"}, "multipart",
     "is not an email address", "person-email"),
    ("people/new/", {"name": "Ada", "role": "other", "external_id": "e" * 101}, "multipart",
     "at most 100", "person-external_id-101"),
    ("people/new/", {"name": "Ada", "role": "other", "manager": "1.5"}, "multipart", None,
     "person-manager-decimal"),
    ("people/new/", {"name": "Ada", "role": "other", "manager": SUPERSCRIPT}, "multipart",
     None, "person-manager-superscript"),
    ("people/new/", {"name": "Ada", "role": "other", "manager": DIGITS}, "multipart", None,
     "person-manager-5000-digits"),
    (lambda i: f"people/{i.person}/edit/", lambda i: _person_edit(i, name=NUL), "urlencoded",
     NUL_FORM, "person-edit-NUL"),
    (lambda i: f"people/{i.person}/edit/", lambda i: _person_edit(i, name=NUL), "multipart",
     NUL_FIELD, "person-edit-NUL-multipart"),
    (lambda i: f"people/{i.person}/edit/", lambda i: _person_edit(i, name=LONG), "multipart",
     "At most 200 characters", "person-edit-name-100k"),
    (lambda i: f"people/{i.person}/edit/", lambda i: _person_edit(i, role="god"),
     "multipart", "valid choice", "person-edit-role-god"),
    (lambda i: f"people/{i.person}/edit/",
     lambda i: _person_edit(i, dotted_line_managers=[SUPERSCRIPT]), "multipart", None,
     "person-edit-dotted-superscript"),
    (lambda i: f"people/{i.person}/edit/", lambda i: _person_edit(i, manager=i.person),
     "multipart", None, "person-edit-own-manager"),
    (lambda i: f"people/{i.person}/memberships/", lambda i: {"team": i.other_team,
                                                             "allocation": "60.5"},
     "multipart", "whole number", "membership-decimal"),
    (lambda i: f"people/{i.person}/memberships/", lambda i: {"team": i.other_team,
                                                             "allocation": DIGITS},
     "multipart", "whole number", "membership-5000-digits"),
    (lambda i: f"people/{i.person}/memberships/", lambda i: {"team": i.other_team,
                                                             "allocation": "9" * 30},
     "multipart", "whole percent", "membership-huge"),
    (lambda i: f"people/{i.person}/memberships/", lambda i: {"team": i.other_team,
                                                             "allocation": "0"},
     "multipart", "whole percent", "membership-0"),
    (lambda i: f"people/{i.person}/memberships/", {"team": SUPERSCRIPT, "allocation": "50"},
     "multipart", "No such team", "membership-team-superscript"),
    # a team
    ("teams/new/", {"name": NUL, "kind": "other"}, "urlencoded", NUL_FORM, "team-NUL"),
    ("teams/new/", {"name": NUL, "kind": "other"}, "multipart", NUL_FIELD,
     "team-NUL-multipart"),
    ("teams/new/", {"name": LONG, "kind": "other"}, "multipart", "at most 120",
     "team-name-100k"),
    ("teams/new/", {"name": "x" * 121, "kind": "other"}, "multipart", "at most 120",
     "team-name-121"),
    ("teams/new/", {"name": "a;b", "kind": "other"}, "multipart", "cannot contain",
     "team-name-separator"),
    ("teams/new/", {"name": "Pipeline", "kind": "other"}, "multipart", "column of matrix.csv",
     "team-name-reserved"),
    ("teams/new/", {"name": "T", "kind": "god"}, "multipart", "valid choice", "team-kind-god"),
    ("teams/new/", {"name": "T", "kind": "other", "kpi_type": "god"}, "multipart",
     "valid choice", "team-kpi_type-god"),
    ("teams/new/", {"name": "T", "kind": "other", "kpi": LONG}, "multipart", "at most 200",
     "team-kpi-100k"),
    (lambda i: f"teams/{i.team}/edit/", lambda i: _team_edit(i, name=NUL), "urlencoded",
     NUL_FORM, "team-edit-NUL"),
    (lambda i: f"teams/{i.team}/edit/", lambda i: _team_edit(i, name=LONG), "multipart",
     "at most 120", "team-edit-name-100k"),
    (lambda i: f"teams/{i.team}/edit/", lambda i: _team_edit(i, kind="god"), "multipart",
     "valid choice", "team-edit-kind-god"),
    (lambda i: f"teams/{i.team}/members/", lambda i: {"person": i.other_person,
                                                      "allocation": "abc"},
     "multipart", "whole number", "team-member-allocation-text"),
    (lambda i: f"teams/{i.team}/members/", {"person": SUPERSCRIPT, "allocation": "50"},
     "multipart", None, "team-member-superscript"),
    # a pipeline
    ("pipelines/", {**NEW_PIPELINE, "name": NUL}, "urlencoded", NUL_FORM, "pipeline-NUL"),
    ("pipelines/", {**NEW_PIPELINE, "name": NUL}, "multipart", NUL_FIELD,
     "pipeline-NUL-multipart"),
    ("pipelines/", {**NEW_PIPELINE, "name": LONG}, "multipart", "at most 200",
     "pipeline-name-100k"),
    ("pipelines/", {**NEW_PIPELINE, "lifecycle": "god"}, "multipart", "valid choice",
     "pipeline-lifecycle-god"),
    ("pipelines/", {**NEW_PIPELINE, "tier": "god"}, "multipart", "valid choice",
     "pipeline-tier-god"),
    ("pipelines/", {**NEW_PIPELINE, "required_stages": ["god"]}, "multipart", "valid choice",
     "pipeline-stage-god"),
    ("pipelines/", {**NEW_PIPELINE, "metric": "m" * 201}, "multipart", "at most 200",
     "pipeline-metric-201"),
    ("pipelines/", {**NEW_PIPELINE, "pm_owner": SUPERSCRIPT}, "multipart", "valid choice",
     "pipeline-pm-superscript"),
    (lambda i: f"pipelines/{i.pipeline}/", lambda i: _pipeline_edit(i, name=LONG),
     "multipart", "at most 200", "pipeline-edit-name-100k"),
    (lambda i: f"pipelines/{i.pipeline}/", lambda i: _pipeline_edit(i, name=NUL),
     "urlencoded", NUL_FORM, "pipeline-edit-NUL"),
    # a cell of the matrix
    (lambda i: f"cells/{i.pipeline}/{i.other_team}/", {"role": "god"}, "multipart",
     "Unknown role 'god'", "cell-role-god"),
    (lambda i: f"cells/{i.pipeline}/{i.other_team}/", {"role": "god"}, "urlencoded",
     "Unknown role 'god'", "cell-role-god-urlencoded"),
    (lambda i: f"cells/{i.pipeline}/{i.other_team}/", {"role": "owner\x00"}, "urlencoded",
     NUL_FORM, "cell-role-NUL"),
    (lambda i: f"cells/{i.pipeline}/{i.other_team}/", {"role": "owner\x00"}, "multipart",
     "Unknown role", "cell-role-NUL-multipart"),
    (lambda i: f"cells/{i.pipeline}/{i.other_team}/", {"role": LONG}, "multipart",
     "Unknown role", "cell-role-100k"),
    # the org chart's drag and drop
    ("chart/move/", {"person": SUPERSCRIPT}, "multipart", None, "chart-move-superscript"),
    ("chart/move/", {"person": DIGITS}, "multipart", None, "chart-move-5000-digits"),
    ("chart/move/", {"person": HUGE}, "multipart", None, "chart-move-huge"),
    (lambda i: "chart/move/", lambda i: {"person": i.person, "manager": SUPERSCRIPT},
     "multipart", None, "chart-move-manager-superscript"),
    (lambda i: "chart/move/", lambda i: {"person": i.person, "manager": i.other_person},
     "multipart", "loop", "chart-move-loop"),
    # scenarios and settings
    ("scenarios/", {"name": NUL}, "urlencoded", NUL_FORM, "scenario-NUL"),
    ("scenarios/", {"name": NUL}, "multipart", None, "scenario-NUL-multipart"),
    ("scenarios/", {"name": "   "}, "multipart", "Give the scenario a name",
     "scenario-blank"),
    ("settings/", {"name": "Acme", "span_max": DIGITS, "layers_max": "3"}, "multipart",
     "whole number", "settings-span-5000-digits"),
    ("settings/", {"name": "Acme", "span_max": "0", "layers_max": "3"}, "multipart", None,
     "settings-span-0"),
    ("settings/", {"name": NUL, "span_max": "3", "layers_max": "3"}, "multipart", NUL_FIELD,
     "settings-name-NUL"),
    ("settings/", {"name": "Acme", "span_max": "3", "layers_max": "3",
                   "ml_head": SUPERSCRIPT}, "multipart", "valid choice",
     "settings-ml_head-superscript"),
    # trying a fix: a rank is read from ASCII digits only
    (lambda i: f"findings/{unowned_data(i)}/remedies/", {"rank": SUPERSCRIPT}, "multipart",
     "Choose a fix by its rank (1 is the best), not '²'.", "remedy-rank-superscript"),
    (lambda i: f"findings/{unowned_data(i)}/remedies/", {"rank": SUPERSCRIPT}, "urlencoded",
     "Choose a fix by its rank", "remedy-rank-superscript-urlencoded"),
    (lambda i: f"findings/{unowned_data(i)}/remedies/", {"rank": DIGITS}, "multipart",
     "Choose a fix by its rank", "remedy-rank-5000-digits"),
]


@pytest.mark.parametrize(
    ("url", "data", "encoding", "fragment"),
    [pytest.param(url, data, encoding, fragment, id=name)
     for url, data, encoding, fragment, name in FORMS],
)
def test_a_form_refuses_a_hostile_value(browser, ids, url, data, encoding, fragment):
    url = f"/orgs/{ids.slug}/{url(ids) if callable(url) else url}"
    data = data(ids) if callable(data) else data
    before = db_state()
    response = _post(browser, url, data, encoding)
    assert_page_refusal(response, fragment)
    assert_unchanged(before)


@pytest.mark.parametrize("pm", [SUPERSCRIPT, DIGITS, HUGE, "abc"],
                         ids=["superscript", "5000-digits", "huge", "text"])
def test_a_matrix_cell_write_ignores_a_pm_filter_no_one_can_match(browser, ids, pm):
    # The filters a cell sends back only redraw its row, like the matrix page's: one that
    # cannot be an id is ignored there (the page's links never break), so the write stands.
    response = _post(browser, f"/orgs/{ids.slug}/cells/{ids.pipeline}/{ids.other_team}/",
                     {"role": "owner", "pm": pm}, "multipart")
    assert response.status_code == 200, text_of(response)[:500]
    assert Engagement.objects.get(pipeline_id=ids.pipeline, team_id=ids.other_team).role == (
        "owner")


ADMIN_FORMS = [
    pytest.param("members/", {"username": NUL, "role": "viewer"}, "multipart", NUL_FIELD,
                 id="member-username-NUL"),
    pytest.param("members/", {"username": "nobody", "role": "god"}, "multipart",
                 "valid choice", id="member-role-god"),
    pytest.param("tokens/", {"name": NUL, "scope": "read"}, "multipart", NUL_FIELD,
                 id="token-name-NUL"),
    pytest.param("tokens/", {"name": NUL, "scope": "read"}, "urlencoded", NUL_FORM,
                 id="token-name-NUL-urlencoded"),
    pytest.param("tokens/", {"name": "n" * 101, "scope": "read"}, "multipart", "at most 100",
                 id="token-name-101"),
    pytest.param("tokens/", {"name": "HR", "scope": "god"}, "multipart", "valid choice",
                 id="token-scope-god"),
]


@pytest.mark.parametrize(("url", "data", "encoding", "fragment"), ADMIN_FORMS)
def test_an_admin_form_refuses_a_hostile_value(admin_browser, ids, url, data, encoding,
                                                fragment):
    before = db_state()
    response = _post(admin_browser, f"/orgs/{ids.slug}/{url}", data, encoding)
    assert_page_refusal(response, fragment)
    assert_unchanged(before)


@pytest.mark.parametrize("role", ["god", "\x00", "none\x00"])
def test_a_member_role_no_one_can_hold_is_refused(admin_browser, ids, organisation, role):
    member = client_for(organisation, "viewer").user
    before = db_state()
    response = _post(admin_browser, f"/orgs/{ids.slug}/members/{member.pk}/", {"role": role},
                     "multipart")
    assert_page_refusal(response)
    assert_unchanged(before)


# 5. Query strings -------------------------------------------------------------------------------


# (url, params, expected: "refused" (a NUL), "too long" (a value over the limit), "not found"
# or "ok")
PAGE_QUERIES = [
    ("people/", {"q": NUL}, "refused", "people-q-NUL"),
    ("people/", {"q\x00": "x"}, "refused", "people-key-NUL"),
    ("people/", {"q": LONG}, "too long", "people-q-100k"),
    ("people/", {"q": "x" * (MAX_QUERY_VALUE + 1)}, "too long", "people-q-2001"),
    ("people/", {"q": "x" * MAX_QUERY_VALUE}, "ok", "people-q-2000"),
    ("people/", {"q": "é" * MAX_QUERY_VALUE}, "ok", "people-q-2000-two-byte-characters"),
    ("people/", {"role": "god", "status": "god", "page": SUPERSCRIPT}, "ok",
     "people-unknown-filters"),
    ("people/", {"page": HUGE}, "ok", "people-page-huge"),
    ("people/search/", {"q": NUL}, "refused", "picker-search-NUL"),
    ("people/search/", {"q": LONG}, "too long", "picker-search-100k"),
    ("people/search/", {"q": "x" * MAX_QUERY_VALUE}, "ok", "picker-search-2000"),
    ("people/picker/", {"field": "manager", "pick": DIGITS}, "too long",
     "picker-pick-5000-digits"),
    ("people/picker/", {"field": "manager", "pick": HUGE}, "ok", "picker-pick-huge"),
    ("people/picker/", {"field": NUL}, "refused", "picker-field-NUL"),
    ("pipelines/", {"q": NUL}, "refused", "pipelines-q-NUL"),
    ("pipelines/", {"q": LONG}, "too long", "pipelines-q-100k"),
    ("pipelines/", {"q": "x" * MAX_QUERY_VALUE}, "ok", "pipelines-q-2000"),
    ("pipelines/", {"lifecycle": "god", "tier": SUPERSCRIPT, "page": DIGITS}, "too long",
     "pipelines-unknown-filters-page-5000-digits"),
    ("pipelines/", {"lifecycle": "god", "tier": SUPERSCRIPT, "page": HUGE}, "ok",
     "pipelines-unknown-filters"),
    ("findings/", {"severity": NUL}, "refused", "findings-severity-NUL"),
    ("findings/", {"code": NUL}, "refused", "findings-code-NUL"),
    ("findings/", {"code": "god", "severity": "god"}, "ok", "findings-unknown-code"),
    ("findings/", {"team": SUPERSCRIPT}, "ok", "findings-team-superscript"),
    ("findings/", {"team": DIGITS}, "too long", "findings-team-5000-digits"),
    ("findings/", {"team": HUGE}, "ok", "findings-team-huge"),
    ("findings/", {"pipeline": SUPERSCRIPT}, "ok", "findings-pipeline-superscript"),
    ("findings/", {"pipeline": HUGE}, "ok", "findings-pipeline-huge"),
    ("", {"pm": NUL}, "refused", "matrix-pm-NUL"),
    ("", {"pm": SUPERSCRIPT}, "ok", "matrix-pm-superscript"),
    ("", {"pm": DIGITS}, "too long", "matrix-pm-5000-digits"),
    ("", {"pm": HUGE}, "ok", "matrix-pm-huge"),
    ("", {"kind": "god", "collapse": "god,all", "page": "-1"}, "ok", "matrix-unknown-filters"),
    ("chart/", {"root": SUPERSCRIPT}, "not found", "chart-root-superscript"),
    ("chart/", {"root": DIGITS}, "too long", "chart-root-5000-digits"),
    ("chart/", {"root": HUGE}, "not found", "chart-root-huge"),
    ("chart/", {"root": "-1"}, "not found", "chart-root-negative"),
    ("chart/", {"offset": SUPERSCRIPT}, "not found", "chart-offset-superscript"),
    ("chart/data/", {"root": SUPERSCRIPT}, "not found", "chart-data-root-superscript"),
    ("chart/data/", {"reveal": DIGITS}, "too long", "chart-data-reveal-5000-digits"),
    ("chart/data/", {"reveal": HUGE}, "not found", "chart-data-reveal-huge"),
    ("chart/data/", {"find": NUL}, "refused", "chart-data-find-NUL"),
    ("chart/data/", {"find": LONG}, "too long", "chart-data-find-100k"),
    ("chart/data/", {"find": "x" * MAX_QUERY_VALUE}, "ok", "chart-data-find-2000"),
    ("history/", {"person": SUPERSCRIPT, "since": "god", "page": DIGITS}, "too long",
     "history-unknown-filters-page-5000-digits"),
    ("history/", {"person": SUPERSCRIPT, "since": "god", "page": HUGE}, "ok",
     "history-unknown-filters"),
    ("history/", {"kind": NUL}, "refused", "history-kind-NUL"),
    # The day after the last a date can be is past what Python's dates hold.
    ("history/", {"until": "9999-12-31"}, "ok", "history-until-the-last-day"),
    ("history/", {"since": "31/12/9999", "until": "31/12/9999"}, "ok",
     "history-since-and-until-the-last-day-day-first"),
    ("history/", {"person": HUGE}, "ok", "history-person-huge"),
    ("history/", {"team": HUGE}, "ok", "history-team-huge"),
    ("history/", {"pipeline": HUGE}, "ok", "history-pipeline-huge"),
    ("export/matrix.csv", {"pm": SUPERSCRIPT}, "ok", "matrix-csv-pm-superscript"),
    ("export/engagements.csv", {"pm": DIGITS}, "too long", "engagements-csv-pm-5000-digits"),
    ("export/engagements.csv", {"pm": HUGE}, "ok", "engagements-csv-pm-huge"),
    ("export/findings.csv", {"team": NUL}, "refused", "findings-csv-team-NUL"),
    ("export/people.csv", {"q": LONG}, "too long", "people-csv-q-100k"),
    ("export/people.csv", {"q": "x" * MAX_QUERY_VALUE}, "ok", "people-csv-q-2000"),
    ("export/people.csv", {"q": NUL}, "refused", "people-csv-q-NUL"),
]


@pytest.mark.parametrize(
    ("url", "params", "expected"),
    [pytest.param(url, params, expected, id=name)
     for url, params, expected, name in PAGE_QUERIES],
)
def test_a_page_answers_a_hostile_query_string(viewer_browser, ids, url, params, expected):
    key = too_long_key(params)
    assert (key is not None) == (expected == "too long"), "the case's expectation is wrong"
    before = db_state()
    response = viewer_browser.get(f"/orgs/{ids.slug}/{url}", params)
    if expected == "refused":
        assert response.status_code == 400, response.status_code
        assert_page_refusal(response, "NUL character")
    elif expected == "too long":
        assert_too_long(response, key, "page")
    elif expected == "not found":
        body = assert_4xx(response)
        assert response.status_code == 404, body[:300]
    else:
        body = text_of(response)
        assert response.status_code == 200, f"{response.status_code}: {body[:300]}"
    assert_unchanged(before)


def test_a_percent_encoded_lone_surrogate_in_a_query_string_is_harmless(viewer_browser, ids):
    # Percent-decoding replaces bytes that are not UTF-8 (U+FFFD), so no lone surrogate
    # reaches a view: the search simply finds nobody.
    response = viewer_browser.get(f"/orgs/{ids.slug}/people/?q=%ED%A0%80")
    assert response.status_code == 200
    assert "Ada Lovelace" not in response.content.decode()


NUL_PATH = "The address contains a NUL character (\\u0000), which is not text."
SURROGATE_PATH = (
    "The address contains a lone surrogate (\\ud800 to \\udfff), which is not text."
)

# (method, url, door as the refusal is answered), each with a NUL in its path.
NUL_PATHS = [
    pytest.param("get", "/orgs/{slug}/compare/%00/", "page", id="compare"),
    pytest.param("get", "/orgs/ac%00me/", "page", id="slug"),
    pytest.param("post", "/orgs/{slug}/findings/%00/remedies/", "page", id="remedies-POST"),
    pytest.param("get", "/api/v1/orgs/{slug}/compare/%00/", "api", id="api-compare"),
    pytest.param("post", "/api/v1/orgs/{slug}/findings/a%00/remedies/", "api",
                 id="api-remedies-POST"),
    pytest.param("get", "/scim/v2/Users/%00", "scim", id="scim-user"),
]


def assert_path_refusal(response, door: str, message: str) -> None:
    """Exactly the 400 of a path no door takes."""
    assert_refusal(response, door, f"{message} Nothing was changed.")


@pytest.mark.parametrize(("method", "url", "door"), NUL_PATHS)
def test_a_nul_in_the_path_is_refused_before_any_view(api, browser, ids, method, url, door):
    # PostgreSQL refuses a NUL in any query parameter: a view that looks the path up fails.
    url = url.format(slug=ids.slug)
    before = db_state()
    if method == "get":
        response = (browser if door == "page" else api).get(url)
    elif door == "page":
        response = browser.post(url, {"rank": "1"})
    else:
        response = api.post(url, json.dumps({"rank": 1}), content_type="application/json")
    assert_path_refusal(response, door, NUL_PATH)
    assert_unchanged(before)


class LenientAsgiClient(AsyncClient):
    """An ASGI server that decodes the path leniently, lone surrogates and all. Under WSGI none
    reaches a view: Django re-percent-encodes bytes that are not UTF-8."""

    def _get_path(self, parsed):
        return unquote(parsed.path, errors="surrogatepass")


@pytest.mark.parametrize(("url", "door"), [
    ("/orgs/{slug}/compare/%ED%A0%80/", "page"),
    ("/api/v1/orgs/{slug}/compare/%ED%A0%80/", "api"),
    ("/scim/v2/Users/%ED%A0%80", "scim"),
], ids=["page", "api", "scim"])
def test_a_lone_surrogate_in_the_path_is_refused_before_any_view(ids, url, door):
    before = db_state()
    response = async_to_sync(LenientAsgiClient().get)(url.format(slug=ids.slug))
    assert_path_refusal(response, door, SURROGATE_PATH)
    assert_unchanged(before)


@pytest.mark.parametrize("url", ["people/", "pipelines/", "findings/"])
@pytest.mark.parametrize("payload", [SCRIPT, ATTRIBUTE], ids=["script", "attribute"])
def test_a_query_string_is_shown_escaped(viewer_browser, ids, url, payload):
    params = {"code": payload} if url == "findings/" else {"q": payload}
    response = viewer_browser.get(f"/orgs/{ids.slug}/{url}", params)
    assert response.status_code == 200
    assert payload not in response.content.decode()


API_QUERIES = [
    pytest.param("people/", {"external_id": NUL}, id="people-external_id-NUL"),
    pytest.param("people/", {"manager": "abc"}, id="people-manager-text"),
    pytest.param("people/", {"manager": SUPERSCRIPT}, id="people-manager-superscript"),
    pytest.param("people/", {"manager": DIGITS}, id="people-manager-5000-digits"),
    pytest.param("people/", {"manager": "9" * 30}, id="people-manager-huge"),
    pytest.param("people/", {"active": "maybe"}, id="people-active-maybe"),
    pytest.param("people/", {"role": "god"}, id="people-role-god"),
    pytest.param("people/", {"updated_since": "yesterday"}, id="people-updated_since"),
    pytest.param("people/", {"page": SUPERSCRIPT}, id="people-page-superscript"),
    pytest.param("people/", {"page": DIGITS}, id="people-page-5000-digits"),
    pytest.param("people/", {"page_size": SUPERSCRIPT}, id="people-page_size-superscript"),
    pytest.param("people/", {"page_size": DIGITS}, id="people-page_size-5000-digits"),
    pytest.param("people/", {"page": HUGE}, id="people-page-huge"),
    pytest.param("people/", {"page_size": HUGE}, id="people-page_size-huge"),
    pytest.param("teams/", {"kind": "god"}, id="teams-kind-god"),
    pytest.param("teams/", {"lead": SUPERSCRIPT}, id="teams-lead-superscript"),
    pytest.param("memberships/", {"team": "1.5"}, id="memberships-team-decimal"),
    pytest.param("pipelines/", {"lifecycle": "god"}, id="pipelines-lifecycle-god"),
    pytest.param("pipelines/", {"pm_owner": DIGITS}, id="pipelines-pm_owner-5000-digits"),
    pytest.param("pipelines/", {"pm_owner": HUGE}, id="pipelines-pm_owner-huge"),
    pytest.param("engagements/", {"role": "god"}, id="engagements-role-god"),
    pytest.param("findings/", {"severity": "god"}, id="findings-severity-god"),
    pytest.param("findings/", {"code": NUL}, id="findings-code-NUL"),
    pytest.param("matrix/", {"pm": SUPERSCRIPT}, id="matrix-pm-superscript"),
    pytest.param("matrix/", {"pm": DIGITS}, id="matrix-pm-5000-digits"),
    pytest.param("matrix/", {"pm": HUGE}, id="matrix-pm-huge"),
    pytest.param("people/", {"external_id": LONG}, id="people-external_id-100k"),
    pytest.param("teams/", {"name\x00": "x"}, id="teams-key-NUL"),
]


@pytest.mark.parametrize(("url", "params"), API_QUERIES)
def test_an_api_list_refuses_a_hostile_query_string(api_reader, ids, url, params):
    before = db_state()
    response = api_reader.get(f"/api/v1/orgs/{ids.slug}/{url}", params)
    if (key := too_long_key(params)) is not None:
        assert_too_long(response, key, "api")
    else:
        assert_api_refusal(response)
    assert_unchanged(before)


# 6. CSV imports ---------------------------------------------------------------------------------


def _upload(client, ids: Ids, kind: str, data: bytes, name: str = "upload.csv"):
    return client.post(f"/orgs/{ids.slug}/import/{kind}/",
                       {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def _outcome(response):
    return response.context["outcome"]


PEOPLE_HEADER = "external_id,name,title,role,active,teams\n"


def _roster(*rows: str) -> str:
    # Enough good rows that one odd character is not "a file of control characters".
    padding = "".join(f"P{n},Person {n},Engineer,other,yes,\n" for n in range(12))
    return PEOPLE_HEADER + "".join(rows) + padding


CSV_CASES = [
    pytest.param("people", b"external_id,name\nH1,A\x00da\n", "binary data",
                 id="people-NUL-byte"),
    pytest.param("people", _roster("H1,A\x00da,Engineer,other,yes,\n").encode("utf-16"),
                 "NUL character", id="people-UTF-16-NUL-character"),
    pytest.param("people", _roster(f"H1,{LONG},Engineer,other,yes,\n").encode(),
                 "At most 200 characters", id="people-name-100k"),
    pytest.param("people", _roster(f"H1,Ada,{'t' * 200_000},other,yes,\n").encode(),
                 "cannot be read as CSV", id="people-cell-over-the-csv-field-limit"),
    pytest.param("people", _roster('H1,"Ada,Engineer,other,yes,\n').encode(),
                 "cannot be read as CSV", id="people-unclosed-quote"),
    pytest.param("people", _roster("H1,Ada,Engineer,god,yes,\n").encode(), "Unknown role",
                 id="people-role-god"),
    pytest.param("people", _roster("H1,Ada,Engineer,other,maybe,\n").encode(),
                 "not a yes or no", id="people-active-maybe"),
    pytest.param("people", _roster("H1,Ada,Engineer,other,yes,Models:60.5\n").encode(),
                 "not a whole percent", id="people-allocation-decimal"),
    pytest.param("people", _roster(f"H1,Ada,Engineer,other,yes,Models:{DIGITS}\n").encode(),
                 "not a whole percent", id="people-allocation-5000-digits"),
    pytest.param("people", _roster("H1,Ada,Engineer,other,yes,Nowhere:50\n").encode(),
                 "Unknown team", id="people-team-unknown"),
    pytest.param("people", _roster("H1,Ada,=1+1,other,yes,\n", "H1,Bob,,other,yes,\n")
                 .encode(), "also on line", id="people-external_id-twice"),
    pytest.param("people", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "PNG image",
                 id="people-a-picture"),
    pytest.param("matrix", b"pipeline,pm_owner,lifecycle,Models\nRank\x00ing,,,owner\n",
                 "binary data", id="matrix-NUL-byte"),
    pytest.param("matrix", ("pipeline,pm_owner,lifecycle,Models\nRanking,,,owner\x00\n"
                            + "Ranking,,,owner\n" * 10).encode("utf-16"), "NUL character",
                 id="matrix-UTF-16-NUL-character"),
    pytest.param("matrix", b"pipeline,pm_owner,lifecycle,Models\nRanking,,,god\n",
                 "not a role", id="matrix-role-god"),
    pytest.param("matrix", f"pipeline,pm_owner,lifecycle,{LONG}\nRanking,,,owner\n".encode(),
                 "No team is named", id="matrix-team-100k"),
    pytest.param("matrix", b"pipeline,pm_owner,lifecycle,Models\n=1+1,,,owner\n",
                 "No pipeline is named", id="matrix-unknown-pipeline-formula"),
]


@pytest.mark.parametrize(("kind", "data", "fragment"), CSV_CASES)
def test_an_import_refuses_a_hostile_file_writing_nothing(browser, ids, kind, data, fragment):
    before = db_state()
    response = _upload(browser, ids, kind, data)
    assert_page_refusal(response, fragment)
    assert _outcome(response).state == "refused"
    assert not _outcome(response).ticket
    assert_unchanged(before)


def _read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_of(response).lstrip("\ufeff"))))


FORMULAS = ["=1+1", "+44 20 7946 0000", "-2+3", "@SUM(A1:A2)", "=HYPERLINK(\"http://x\")"]


def test_formulas_imported_as_titles_are_neutralised_in_people_csv(browser, ids):
    data = io.StringIO()
    csv.writer(data).writerows(
        [["external_id", "name", "title", "role", "active", "teams"]]
        + [[f"F{n}", f"Formula {n}", formula, "other", "yes", ""]
           for n, formula in enumerate(FORMULAS)]
    )
    preview = _upload(browser, ids, "people", data.getvalue().encode())
    assert preview.status_code == 200, text_of(preview)[:500]
    applied = browser.post(f"/orgs/{ids.slug}/import/people/apply/",
                           {"ticket": _outcome(preview).ticket})
    assert applied.status_code == 200 and _outcome(applied).state == "applied"
    # Stored as written: a title is text, whatever its first character.
    stored = dict(Person.objects.filter(external_id__startswith="F").values_list(
        "external_id", "title"))
    assert stored == {f"F{n}": formula for n, formula in enumerate(FORMULAS)}
    exported = {row[0]: row for row in _read_csv(browser.get(
        f"/orgs/{ids.slug}/export/people.csv"))}
    title = exported["external_id"].index("title")
    for n, formula in enumerate(FORMULAS):
        assert exported[f"F{n}"][title] == "'" + formula, exported[f"F{n}"]


def test_formula_names_are_neutralised_in_every_export(api, browser, ids):
    for path, body in [
        ("teams/", {"name": "=1+1", "kind": "modeling"}),
        ("pipelines/", {"name": "@SUM(A1:A2)"}),
        ("people/", {"name": "+Mallory", "external_id": "-E9"}),
    ]:
        response = api.post(f"/api/v1/orgs/{ids.slug}/{path}", body, format="json")
        assert response.status_code == 201, response.content
    cells = []
    for name in ("matrix", "engagements", "people", "findings"):
        response = browser.get(f"/orgs/{ids.slug}/export/{name}.csv")
        assert response.status_code == 200
        cells += [cell for row in _read_csv(response) for cell in row]
    assert "'=1+1" in cells and "'@SUM(A1:A2)" in cells
    assert "'+Mallory" in cells and "'-E9" in cells
    dangerous = [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert not dangerous, dangerous


# HTML where a name is shown -----------------------------------------------------------------


def _create_person(api, browser, scim, ids, name, door):
    if door == "api":
        return api.post(f"/api/v1/orgs/{ids.slug}/people/", {"name": name}, format="json")
    if door == "scim":
        return scim.send("post", "Users", _user(displayName=name))
    if door == "sync":
        return _sync(api, ids, {"people": [_record(name=name)]})
    return browser.post(f"/orgs/{ids.slug}/people/new/", {"name": name, "role": "other"})


def _create_team(api, browser, scim, ids, name, door):
    if door == "api":
        return api.post(f"/api/v1/orgs/{ids.slug}/teams/", {"name": name, "kind": "modeling"},
                        format="json")
    if door == "scim":
        return scim.send("post", "Groups", _group(displayName=name))
    return browser.post(f"/orgs/{ids.slug}/teams/new/", {"name": name, "kind": "modeling"})


def _create_pipeline(api, browser, scim, ids, name, door):
    if door == "api":
        return api.post(f"/api/v1/orgs/{ids.slug}/pipelines/", {"name": name}, format="json")
    return browser.post(f"/orgs/{ids.slug}/pipelines/", {**NEW_PIPELINE, "name": name})


SHOWN_ON = {
    "person": (_create_person, ["people/", "chart/", "history/"]),
    "team": (_create_team, ["teams/", "", "findings/"]),
    "pipeline": (_create_pipeline, ["pipelines/", "", "overview/", "findings/"]),
}


@pytest.mark.parametrize("payload", [SCRIPT, ATTRIBUTE], ids=["script", "attribute"])
@pytest.mark.parametrize(("kind", "door"), [
    ("person", "api"), ("person", "scim"), ("person", "sync"), ("person", "browser"),
    ("team", "api"), ("team", "scim"), ("team", "browser"),
    ("pipeline", "api"), ("pipeline", "browser"),
])
def test_html_in_a_name_is_accepted_and_shown_escaped(api, browser, scim, ids, kind, door,
                                                       payload):
    create, pages = SHOWN_ON[kind]
    response = create(api, browser, scim, ids, payload, door)
    assert response.status_code in (200, 201, 302), response.content[:500]
    model = {"person": Person, "team": Team, "pipeline": Pipeline}[kind]
    created = model.objects.get(name=payload)
    detail = {"person": "people", "team": "teams", "pipeline": "pipelines"}[kind]
    escaped = html.escape(payload)
    for page in [*pages, f"{detail}/{created.pk}/"]:
        body = text_of(browser.get(f"/orgs/{ids.slug}/{page}"))
        assert payload not in body, f"/{page} shows the name unescaped"
        if page.startswith(detail):
            assert escaped in body, f"/{page} does not show the name"


def test_html_in_an_imported_name_is_shown_escaped_in_the_preview(browser, ids):
    response = _upload(browser, ids, "people", _roster(
        f'H1,"{ATTRIBUTE.replace(chr(34), chr(34) * 2)}",Engineer,other,yes,\n',
        f"H2,{SCRIPT},Engineer,other,yes,\n").encode())
    assert response.status_code == 200, text_of(response)[:500]
    body = text_of(response)
    assert SCRIPT not in body and ATTRIBUTE not in body
    assert html.escape(SCRIPT) in body
