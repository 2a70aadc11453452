"""SCIM 2.0 at /scim/v2/: people as Users, teams as Groups, for identity providers.

The independent conformance checker runs in tests/test_scim_conformance.py; here are the
design's own rules, each status code, and the identity providers' quirks.
"""

import json

import pytest
from django.test import Client
from django.utils import timezone
from scim2_models import Context

from orgdesign.analysis.orgdata import main_team_of
from pipelines.generator import generate_org
from teams.models import ApiToken, Door, Person, Team
from teams.scim import schemas as scim
from teams.scim.patch import apply_patch, normalise_patch
from teams.scim.payloads import UserRequest, validated
from teams.scim.user_writes import for_new_person, user_changes, user_state, user_values
from teams.tokens import token_create, token_revoke
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
)
from tests.scim_client import (
    ENTERPRISE,
    GROUP,
    LIST,
    PATCH_OP,
    SEARCH,
    USER,
    Scim,
    error_of,
    new_user,
)

pytestmark = pytest.mark.django_db

@pytest.fixture
def token_key(organisation):
    return token_create(organisation=organisation, name="Entra ID", scope="write")


@pytest.fixture
def api(token_key):
    return Scim(token_key[1])


@pytest.fixture
def reader(organisation):
    return Scim(token_create(organisation=organisation, name="Audit", scope="read")[1])


# Tokens, content types and errors -----------------------------------------------------------


def test_it_refuses_a_request_without_a_token():
    response = Scim(None).get("Users")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/scim+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in error_of(response)["detail"]


def test_it_refuses_an_unknown_or_revoked_token(token_key):
    token, key = token_key
    assert Scim(key + "x").get("Users").status_code == 401
    assert Scim("not-a-token").get("ServiceProviderConfig").status_code == 401
    token_revoke(token=token)
    assert Scim(key).get("Users").status_code == 401


def test_a_read_token_may_read_and_search_but_not_write(organisation, reader):
    person = PersonFactory(organisation=organisation)
    assert reader.get("Users").status_code == 200
    assert reader.post("Users/.search", {"schemas": [SEARCH]}).status_code == 200
    assert reader.post(".search", {"schemas": [SEARCH]}).status_code == 200
    writes = [
        reader.post("Users", new_user(userName="a@example.com", displayName="A")),
        reader.patch(f"Users/{person.pk}", [{"op": "replace", "path": "title", "value": "X"}]),
        reader.put(f"Users/{person.pk}", new_user(userName=person.email, displayName="X")),
        reader.delete(f"Users/{person.pk}"),
        reader.post("Groups", {"schemas": [GROUP], "displayName": "Platform"}),
    ]
    assert [response.status_code for response in writes] == [403] * 5
    assert "scope write" in error_of(writes[0])["detail"]
    person.refresh_from_db()
    assert person.active and person.title == ""


def test_a_token_sees_only_its_own_organisation(organisation, api):
    mine = PersonFactory(organisation=organisation)
    theirs = PersonFactory()
    their_team = TeamFactory(organisation=theirs.organisation)
    assert [user["id"] for user in api.get("Users").json()["Resources"]] == [str(mine.pk)]
    assert api.get(f"Users/{theirs.pk}").status_code == 404
    assert api.patch(f"Users/{theirs.pk}", [{"op": "replace", "path": "title", "value": "X"}]
                     ).status_code == 404
    assert api.get(f"Groups/{their_team.pk}").status_code == 404
    assert api.post("Groups", {"schemas": [GROUP], "displayName": "T",
                               "members": [{"value": str(theirs.pk)}]}).status_code == 400


def test_it_records_when_a_token_was_last_used(token_key, api):
    token, _ = token_key
    api.get("ServiceProviderConfig")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_it_answers_scim_json_and_reads_plain_json_too(api):
    response = api.post(
        "Users", new_user(userName="ada@example.com", displayName="Ada"),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response["Content-Type"] == "application/scim+json"


def test_it_refuses_a_body_that_is_not_json(organisation, api):
    response = api.post("Users", "{not json")
    assert response.status_code == 400
    assert error_of(response)["scimType"] == "invalidSyntax"
    response = api.post("Users", "userName=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert not Person.objects.filter(organisation=organisation).exists()


def test_a_payload_with_another_schema_is_invalid_syntax(api):
    response = api.post("Users", {"schemas": [GROUP], "userName": "a@example.com"})
    assert response.status_code == 400
    assert error_of(response)["scimType"] == "invalidSyntax"


def test_writes_need_no_csrf_token(token_key):
    api = Scim(token_key[1], Client(enforce_csrf_checks=True))
    response = api.post("Users", new_user(userName="ada@example.com", displayName="Ada"))
    assert response.status_code == 201


def test_an_unknown_endpoint_answers_a_scim_404(api):
    for path in ("Nothing", "Users/1/extra", ""):
        response = api.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/scim+json"
        error_of(response)


def test_discovery_endpoints_only_answer_get(api):
    for path in ("ServiceProviderConfig", "ResourceTypes", "Schemas"):
        for send in (api.post, api.put):
            response = send(path, {})
            assert response.status_code == 405
            assert response["Allow"] == "GET"
        assert api.delete(path).status_code == 405


# Discovery -----------------------------------------------------------------------------------


def test_service_provider_config_announces_what_is_supported(api):
    config = api.get("ServiceProviderConfig").json()
    assert config["patch"] == {"supported": True}
    assert config["filter"] == {"supported": True, "maxResults": scim.MAX_PAGE_SIZE}
    assert config["etag"] == {"supported": True}
    assert config["bulk"]["supported"] is False
    assert config["sort"] == {"supported": False}
    assert config["changePassword"] == {"supported": False}
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert config["meta"]["location"] == "http://testserver/scim/v2/ServiceProviderConfig"


def test_resource_types_are_users_with_the_enterprise_extension_and_groups(api):
    listed = api.get("ResourceTypes").json()
    assert listed["schemas"] == [LIST]
    by_id = {resource["id"]: resource for resource in listed["Resources"]}
    assert by_id["User"]["endpoint"] == "/Users"
    assert by_id["User"]["schema"] == USER
    assert by_id["User"]["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert by_id["Group"]["schema"] == GROUP
    assert api.get("ResourceTypes/Group").json()["endpoint"] == "/Groups"
    assert api.get("ResourceTypes/Pet").status_code == 404


def test_schemas_describe_what_the_design_keeps(api):
    listed = api.get("Schemas").json()
    names = {schema["name"] for schema in listed["Resources"]}
    assert {"User", "Group", "EnterpriseUser", "Schema", "ResourceType",
            "ServiceProviderConfig"} <= names
    user = api.get(f"Schemas/{USER}").json()
    attributes = {attribute["name"]: attribute for attribute in user["attributes"]}
    assert attributes["userName"]["uniqueness"] == "server"
    assert attributes["userName"]["required"] is True
    assert attributes["emails"]["mutability"] == "readOnly"
    # The given and family names are kept as sent; name.formatted is displayName's.
    assert attributes["name"]["mutability"] == "readWrite"
    assert {sub["name"] for sub in attributes["name"]["subAttributes"]} == {
        "givenName", "familyName"
    }
    # Every person has a name and is active or not: always returned, never removed.
    assert attributes["displayName"]["required"] is True
    assert attributes["active"]["required"] is True
    assert "nickName" not in attributes  # nothing the design does not store
    enterprise = api.get(f"Schemas/{ENTERPRISE}").json()
    department = next(a for a in enterprise["attributes"] if a["name"] == "department")
    assert department["mutability"] == "readWrite"  # the HR department, kept as sent
    assert api.get("Schemas/urn:nothing").status_code == 404


# A person as a User --------------------------------------------------------------------------


def test_a_user_is_the_person(organisation, api):
    boss = PersonFactory(organisation=organisation, name="Grace Boss")
    person = PersonFactory(
        organisation=organisation, name="Ada Lovelace", email="Ada@Example.com",
        external_id="HR-7", title="Scientist", manager=boss, given_name="Ada",
        family_name="Lovelace", department="Research",
    )
    modeling = TeamFactory(organisation=organisation, name="Modeling", kind="modeling")
    MembershipFactory(person=person, team=modeling, allocation=60)
    response = api.get(f"Users/{person.pk}")
    assert response.status_code == 200
    user = response.json()
    assert user["schemas"] == [USER, ENTERPRISE]
    assert user["id"] == str(person.pk)
    assert user["userName"] == "Ada@Example.com"
    assert user["externalId"] == "HR-7"
    assert user["displayName"] == "Ada Lovelace"
    assert user["name"] == {"givenName": "Ada", "familyName": "Lovelace"}
    assert user["title"] == "Scientist"
    assert user["active"] is True
    assert user["emails"] == [{"value": "Ada@Example.com", "type": "work", "primary": True}]
    assert user["groups"] == [{
        "value": str(modeling.pk), "$ref": f"http://testserver/scim/v2/Groups/{modeling.pk}",
        "display": "Modeling",
    }]
    assert user[ENTERPRISE] == {
        "employeeNumber": "HR-7",
        "department": "Research",  # the HR department, not the main team (Modeling)
        "manager": {"value": str(boss.pk), "$ref": f"http://testserver/scim/v2/Users/{boss.pk}"},
    }
    assert user["meta"]["resourceType"] == "User"
    assert user["meta"]["location"] == f"http://testserver/scim/v2/Users/{person.pk}"
    assert user["meta"]["version"] == response["ETag"]
    assert response["ETag"].startswith('W/"')


def test_the_main_team_rule():
    # The one rule of the analysis (`main_team_of`) that the findings share.
    squad = Team(pk=1, name="Squad", kind="product_squad")
    modeling = Team(pk=2, name="Modeling", kind="modeling")
    other = Team(pk=3, name="Guild", kind="other")

    assert main_team_of([(30, squad), (70, other)]) == other
    # Ties: a specialised team first, then the lower id.
    assert main_team_of([(50, squad), (50, modeling)]) == modeling
    assert main_team_of([(50, other), (50, squad)]) == squad
    assert main_team_of([]) is None


def test_the_manager_name_comes_when_asked_for(organisation, api):
    boss = PersonFactory(organisation=organisation, name="Grace Boss")
    person = PersonFactory(organisation=organisation, manager=boss)
    user = api.get(f"Users/{person.pk}",
                   {"attributes": f"{ENTERPRISE}:manager.displayName"}).json()
    assert user[ENTERPRISE] == {"manager": {"displayName": "Grace Boss"}}


def test_attributes_and_excluded_attributes_shape_the_answer(organisation, api):
    person = PersonFactory(organisation=organisation, title="Engineer")
    only = api.get(f"Users/{person.pk}", {"attributes": "userName,title"}).json()
    assert set(only) == {"schemas", "id", "userName", "title"}
    without = api.get("Users", {"excludedAttributes": "title,emails"}).json()["Resources"][0]
    assert "title" not in without and "emails" not in without and "userName" in without


def test_if_none_match_answers_304_while_nothing_changed(organisation, api):
    person = PersonFactory(organisation=organisation)
    etag = api.get(f"Users/{person.pk}")["ETag"]
    assert api.get(f"Users/{person.pk}", headers={"If-None-Match": etag}).status_code == 304
    api.patch(f"Users/{person.pk}", [{"op": "replace", "path": "title", "value": "New"}])
    assert api.get(f"Users/{person.pk}", headers={"If-None-Match": etag}).status_code == 200


# Lists, paging and filters -------------------------------------------------------------------


def test_users_are_paged_in_the_order_of_their_ids(organisation, api):
    people = [PersonFactory(organisation=organisation, name=f"P{9 - i}") for i in range(5)]
    ids = [str(person.pk) for person in people]
    page = api.get("Users", {"startIndex": 2, "count": 2}).json()
    assert page["schemas"] == [LIST]
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [user["id"] for user in page["Resources"]] == ids[1:3]
    last = api.get("Users", {"startIndex": 5, "count": 10}).json()
    assert [user["id"] for user in last["Resources"]] == ids[4:]
    beyond = api.get("Users", {"startIndex": 9}).json()
    assert beyond["totalResults"] == 5 and beyond.get("Resources", []) == []
    # startIndex below 1 reads as 1, count 0 asks for the total alone.
    assert api.get("Users", {"startIndex": 0, "count": 1}).json()["Resources"][0]["id"] == ids[0]
    counted = api.get("Users", {"count": 0}).json()
    assert counted["totalResults"] == 5 and counted.get("Resources", []) == []


def test_a_page_holds_at_most_the_announced_maximum(organisation, api, monkeypatch):
    monkeypatch.setattr(scim, "MAX_PAGE_SIZE", 3)
    for _ in range(5):
        PersonFactory(organisation=organisation)
    assert api.get("Users", {"count": 100}).json()["itemsPerPage"] == 3


def test_a_count_that_is_not_a_number_is_refused(api):
    response = api.get("Users", {"count": "many"})
    assert response.status_code == 400
    assert error_of(response)["scimType"] == "invalidValue"


def filtered(api, endpoint, expression):
    response = api.get(endpoint, {"filter": expression})
    assert response.status_code == 200, response.content
    return [resource["id"] for resource in response.json().get("Resources", [])]


def test_user_filters(organisation, api):
    boss = PersonFactory(organisation=organisation, name="Grace", email="grace@example.com",
                         external_id="HR-1")
    ada = PersonFactory(organisation=organisation, name="Ada", email="Ada@Example.com",
                        external_id="HR-2", title="Scientist", manager=boss)
    PersonFactory(organisation=organisation, name="Gone", email="gone@example.com",
                  external_id="HR-3", active=False, scim_deleted_at=timezone.now())
    b, a = str(boss.pk), str(ada.pk)
    assert filtered(api, "Users", 'userName eq "ADA@example.COM"') == [a]
    assert filtered(api, "Users", f'{USER}:userName eq "ada@example.com"') == [a]
    assert filtered(api, "Users", 'externalId eq "HR-1"') == [b]
    assert filtered(api, "Users", 'externalId eq "hr-1"') == []  # externalId is case exact
    assert filtered(api, "Users", 'externalId eq "HR-3"') == []  # deleted through SCIM
    assert filtered(api, "Users", 'userName eq "ada@example.com" and externalId eq "HR-2"') == [a]
    assert filtered(api, "Users", 'userName eq "ada@example.com" and externalId eq "HR-1"') == []
    assert filtered(api, "Users", 'displayName eq "grace" or title pr') == [b, a]
    assert filtered(api, "Users", 'not (title pr)') == [b]
    assert filtered(api, "Users", 'userName sw "ADA" and emails co "example"') == [a]
    assert filtered(api, "Users", f'{ENTERPRISE}:manager.value eq "{b}"') == [a]
    assert filtered(api, "Users", f'{ENTERPRISE}:employeeNumber eq "HR-2"') == [a]
    assert filtered(api, "Users", 'emails[type eq "work" and value eq "grace@example.com"]') == [b]
    assert filtered(api, "Users", f'id eq "{a}"') == [a]
    assert filtered(api, "Users", 'id eq "nope"') == []
    later = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    assert filtered(api, "Users", f'meta.lastModified gt "{later}"') == []


def test_terms_always_true_or_false_hold_inside_or_and_not(organisation, api):
    # "active pr" is true of everyone, and "ne" on an attribute the design does not keep too:
    # neither is dropped from an "or" (Q() is no condition, which an "or" dropped).
    ada = PersonFactory(organisation=organisation, title="")
    grace = PersonFactory(organisation=organisation, title="Scientist")
    everyone = [str(ada.pk), str(grace.pk)]
    assert filtered(api, "Users", 'active pr or title eq "Scientist"') == everyone
    assert filtered(api, "Users", 'title eq "Scientist" or active pr') == everyone
    assert filtered(api, "Users", 'not(active pr)') == []
    assert filtered(api, "Users", 'not(active pr) or title pr') == [str(grace.pk)]
    # Over Users and Groups, "members" is no attribute of a User: "ne" holds for all of them.
    response = api.post(".search", {"schemas": [SEARCH], "filter": 'title pr or members ne "1"'})
    assert [r["id"] for r in response.json()["Resources"]] == everyone


def test_a_filter_the_service_cannot_read_is_invalid_filter(api):
    for expression in ('userName eq', 'nickName eq "x"', 'userName gt "a"',
                       f'{ENTERPRISE}:costCenter eq "7"'):
        response = api.get("Users", {"filter": expression})
        assert response.status_code == 400, expression
        assert error_of(response)["scimType"] == "invalidFilter", expression


def test_users_search_takes_the_query_as_a_body(organisation, api):
    ada = PersonFactory(organisation=organisation, email="ada@example.com")
    PersonFactory(organisation=organisation)
    response = api.post("Users/.search", {
        "schemas": [SEARCH], "filter": 'userName eq "ADA@example.com"', "attributes": ["userName"],
        "startIndex": 1, "count": 10,
    })
    assert response.status_code == 200
    assert response.json()["Resources"] == [
        {"schemas": [USER], "id": str(ada.pk), "userName": "ada@example.com"}
    ]


def test_search_at_the_root_lists_users_then_groups(organisation, api):
    ada = PersonFactory(organisation=organisation, name="Platform")
    team = TeamFactory(organisation=organisation, name="Platform")
    everything = api.post(".search", {"schemas": [SEARCH]}).json()
    assert [(r["schemas"][0], r["id"]) for r in everything["Resources"]] == [
        (USER, str(ada.pk)), (GROUP, str(team.pk))
    ]
    second = api.post(".search", {"schemas": [SEARCH], "startIndex": 2, "count": 1}).json()
    assert [r["id"] for r in second["Resources"]] == [str(team.pk)]
    assert second["totalResults"] == 2
    # userName is no attribute of a Group: it compares false there.
    named = api.post(".search", {"schemas": [SEARCH], "filter": f'userName eq "{ada.email}"'})
    assert [r["id"] for r in named.json()["Resources"]] == [str(ada.pk)]
    both = api.post(".search", {"schemas": [SEARCH], "filter": 'displayName eq "Platform"'})
    assert both.json()["totalResults"] == 2


# Creating users ------------------------------------------------------------------------------


def test_post_creates_a_person(organisation, token_key, api):
    boss = PersonFactory(organisation=organisation)
    response = api.post("Users", new_user(
        userName="ada@example.com", externalId="HR-9", displayName="Ada Lovelace",
        title="Scientist", active=True,
        **{ENTERPRISE: {"manager": {"value": str(boss.pk)}}},
    ))
    assert response.status_code == 201
    person = Person.objects.get(organisation=organisation, external_id="HR-9")
    assert (person.email, person.name, person.title, person.manager, person.active) == (
        "ada@example.com", "Ada Lovelace", "Scientist", boss, True
    )
    assert response["Location"] == f"http://testserver/scim/v2/Users/{person.pk}"
    assert response["ETag"] == response.json()["meta"]["version"]
    assert response.json()["id"] == str(person.pk)
    assert person.updated_via == Door.SCIM
    assert person.updated_by_token == token_key[0]


def test_post_reads_identity_provider_shapes(organisation, api):
    boss = PersonFactory(organisation=organisation)
    # Okta: the given and family names alone; the manager as a plain id; employeeNumber.
    response = api.post("Users", new_user(
        userName="bob@example.com", name={"givenName": "Bob", "familyName": "Martin"},
        emails=[{"value": "bob@example.com", "primary": True}], phoneNumbers=[{"value": "1"}],
        **{ENTERPRISE: {"manager": str(boss.pk), "employeeNumber": "E-42",
                        "department": "Research"}},
    ))
    assert response.status_code == 201, response.content
    person = Person.objects.get(email="bob@example.com")
    assert (person.name, person.manager, person.external_id) == ("Bob Martin", boss, "E-42")
    assert (person.given_name, person.family_name) == ("Bob", "Martin")
    assert person.department == "Research"
    assert response.json()[ENTERPRISE]["employeeNumber"] == "E-42"
    assert response.json()[ENTERPRISE]["department"] == "Research"
    assert response.json()["name"] == {"givenName": "Bob", "familyName": "Martin"}


def test_post_refuses_what_is_not_a_person(organisation, api):
    no_user_name = api.post("Users", new_user(displayName="X"))
    assert no_user_name.status_code == 400
    assert error_of(no_user_name)["scimType"] == "invalidValue"
    blank_user_name = api.post("Users", new_user(userName="  ", displayName="X"))
    assert blank_user_name.status_code == 400
    assert "userName" in error_of(blank_user_name)["detail"]
    bad_email = api.post("Users", new_user(
        userName="jdoe", displayName="J", emails=[{"value": "not an address", "primary": True}]
    ))
    assert bad_email.status_code == 400
    assert "emails" in error_of(bad_email)["detail"]
    unknown_manager = api.post("Users", new_user(
        userName="y@example.com", displayName="Y", **{ENTERPRISE: {"manager": "999999"}}
    ))
    assert unknown_manager.status_code == 400
    assert "manager" in error_of(unknown_manager)["detail"]
    not_a_boolean = api.post("Users", new_user(userName="z@example.com", displayName="Z",
                                               active="maybe"))
    assert not_a_boolean.status_code == 400
    assert not Person.objects.filter(organisation=organisation).exists()


def test_a_taken_user_name_or_external_id_answers_409(organisation, api):
    PersonFactory(organisation=organisation, email="ada@example.com", external_id="HR-1")
    for user in (
        new_user(userName="ADA@example.com", displayName="Other"),
        new_user(userName="other@example.com", externalId="HR-1", displayName="Other"),
    ):
        response = api.post("Users", user)
        assert response.status_code == 409
        assert error_of(response)["scimType"] == "uniqueness"
    assert Person.objects.filter(organisation=organisation).count() == 1


# Leaving and coming back ---------------------------------------------------------------------


def test_delete_deactivates_and_the_user_is_gone_from_scim(organisation, token_key, api):
    person = PersonFactory(organisation=organisation, email="ada@example.com", external_id="HR-1")
    report = PersonFactory(organisation=organisation, manager=person)
    assert api.delete(f"Users/{person.pk}").status_code == 204
    person.refresh_from_db()
    assert person.active is False  # still in the design, as someone who left
    assert (person.updated_via, person.updated_by_token) == (Door.SCIM, token_key[0])
    report.refresh_from_db()
    assert report.manager == person  # the reporting line stays
    assert api.get(f"Users/{person.pk}").status_code == 404
    assert api.patch(f"Users/{person.pk}", [{"op": "replace", "path": "title", "value": "X"}]
                     ).status_code == 404
    assert api.put(f"Users/{person.pk}", new_user(userName="ada@example.com", displayName="A")
                   ).status_code == 404
    assert api.delete(f"Users/{person.pk}").status_code == 404
    assert filtered(api, "Users", 'userName eq "ada@example.com"') == []
    assert filtered(api, "Users", 'externalId eq "HR-1"') == []
    assert [u["id"] for u in api.get("Users").json()["Resources"]] == [str(report.pk)]


def test_post_with_the_external_id_of_someone_who_left_brings_them_back(organisation, api):
    person = PersonFactory(organisation=organisation, email="ada@example.com", external_id="HR-1",
                           name="Ada", title="Scientist")
    api.delete(f"Users/{person.pk}")
    response = api.post("Users", new_user(
        userName="ada.lovelace@example.com", externalId="HR-1", displayName="Ada Lovelace",
    ))
    assert response.status_code == 201
    assert response.json()["id"] == str(person.pk)
    person.refresh_from_db()
    # What the POST sends is written; what it leaves out (the title) is kept.
    assert (person.active, person.email, person.name, person.title) == (
        True, "ada.lovelace@example.com", "Ada Lovelace", "Scientist"
    )
    assert person.user_name == "ada.lovelace@example.com"
    assert api.get(f"Users/{person.pk}").status_code == 200
    assert Person.objects.filter(organisation=organisation).count() == 1


def test_post_with_the_user_name_of_someone_who_left_brings_them_back(organisation, api):
    person = PersonFactory(organisation=organisation, email="ada@example.com", external_id="HR-1")
    api.delete(f"Users/{person.pk}")
    # No external id in the request: theirs is kept.
    response = api.post("Users", new_user(userName="ADA@example.com", displayName="Ada"))
    assert response.status_code == 201
    assert response.json()["id"] == str(person.pk)
    person.refresh_from_db()
    assert (person.active, person.external_id) == (True, "HR-1")


def test_post_with_the_user_name_of_someone_else_who_left_answers_409(organisation, api):
    person = PersonFactory(organisation=organisation, email="ada@example.com", external_id="HR-1")
    api.delete(f"Users/{person.pk}")
    response = api.post("Users", new_user(userName="ada@example.com", externalId="HR-2",
                                          displayName="Another Ada"))
    assert response.status_code == 409
    assert error_of(response)["scimType"] == "uniqueness"
    person.refresh_from_db()
    assert person.active is False


def test_active_false_as_a_string_deactivates(organisation, token_key, api):
    person = PersonFactory(organisation=organisation)
    response = api.patch(f"Users/{person.pk}", [{"op": "Replace", "path": "active",
                                                 "value": "False"}])
    assert response.status_code == 200
    assert response.json()["active"] is False
    person.refresh_from_db()
    assert person.active is False
    assert (person.updated_via, person.updated_by_token) == (Door.SCIM, token_key[0])
    # Unlike DELETE, a deactivated user stays visible, so the provider can re-enable them.
    response = api.get(f"Users/{person.pk}")
    assert response.status_code == 200 and response.json()["active"] is False


def test_active_true_re_enables_a_deactivated_user(organisation, api):
    person = PersonFactory(organisation=organisation, active=False)
    response = api.patch(f"Users/{person.pk}", [{"op": "replace", "value": {"active": True}}])
    assert response.status_code == 200
    assert response.json()["active"] is True
    person.refresh_from_db()
    assert person.active is True


def test_people_who_left_through_hr_are_served_as_inactive(organisation, api):
    person = PersonFactory(organisation=organisation, active=False, external_id="HR-9")
    assert filtered(api, "Users", 'externalId eq "HR-9"') == [str(person.pk)]
    assert api.get(f"Users/{person.pk}").json()["active"] is False


# PATCH ---------------------------------------------------------------------------------------


def patched(api, person, operations):
    response = api.patch(f"Users/{person.pk}", operations)
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    return response.json()


def test_patch_answers_200_with_the_resource_and_records_who(organisation, token_key, api):
    person = PersonFactory(organisation=organisation, title="Engineer")
    user = patched(api, person, [{"op": "replace", "path": "title", "value": "Scientist"}])
    assert user["title"] == "Scientist" and user["id"] == str(person.pk)
    assert person.title == "Scientist"
    assert (person.updated_via, person.updated_by_token) == (Door.SCIM, token_key[0])
    patched(api, person, [{"op": "remove", "path": "title"}])
    assert person.title == ""


def test_patch_operation_names_come_in_any_case(organisation, api):
    person = PersonFactory(organisation=organisation)
    patched(api, person, [
        {"op": "Replace", "path": "displayName", "value": "Ada"},
        {"op": "ADD", "path": "title", "value": "Scientist"},
    ])
    assert (person.name, person.title) == ("Ada", "Scientist")
    patched(api, person, [{"op": "Remove", "path": "title"}])
    assert person.title == ""


def test_patch_without_path_replaces_a_dict_of_attributes(organisation, api):
    person = PersonFactory(organisation=organisation)
    user = patched(api, person, [{"op": "replace", "value": {
        "id": str(person.pk), "displayName": "Ada", "title": "Scientist",
        "name.givenName": "Ignored", "nickName": "not stored", "active": "True",
    }}])
    assert (person.name, person.title, person.active) == ("Ada", "Scientist", True)
    assert user["displayName"] == "Ada"


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": "{id}"},
    {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": {"value": "{id}"}},
    {"op": "replace", "value": {f"{ENTERPRISE}:manager": "{id}"}},
    {"op": "replace", "value": {f"{ENTERPRISE}:manager": {"value": "{id}"}}},
    {"op": "replace", "value": {ENTERPRISE: {"manager": "{id}"}}},
    {"op": "add", "path": f"{ENTERPRISE}:manager.value", "value": "{id}"},
], ids=["plain id", "value object", "pathless plain", "pathless object", "in extension",
        "sub-attribute"])
def test_patch_sets_the_manager_however_it_is_sent(organisation, api, operation):
    boss = PersonFactory(organisation=organisation)
    person = PersonFactory(organisation=organisation)
    operation = json.loads(json.dumps(operation).replace("{id}", str(boss.pk)))
    user = patched(api, person, [operation])
    assert person.manager == boss
    assert user[ENTERPRISE]["manager"]["value"] == str(boss.pk)


@pytest.mark.parametrize("operation", [
    {"op": "remove", "path": f"{ENTERPRISE}:manager"},
    {"op": "Remove", "path": f"{ENTERPRISE}:manager", "value": [{"value": "{id}"}]},
    {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": ""},
    {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": {"value": ""}},
], ids=["remove", "remove with value", "empty", "empty value"])
def test_patch_clears_the_manager_however_it_is_sent(organisation, api, operation):
    boss = PersonFactory(organisation=organisation)
    person = PersonFactory(organisation=organisation, manager=boss)
    operation = json.loads(json.dumps(operation).replace("{id}", str(boss.pk)))
    user = patched(api, person, [operation])
    assert person.manager is None
    assert "manager" not in user.get(ENTERPRISE, {})


def test_a_manager_change_that_closes_a_loop_is_refused_with_the_chain(organisation, api):
    ceo = PersonFactory(organisation=organisation, name="Ceo")
    vp = PersonFactory(organisation=organisation, name="Vp", manager=ceo)
    response = api.patch(f"Users/{ceo.pk}", [
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": str(vp.pk)}
    ])
    assert response.status_code == 400
    error = error_of(response)
    assert error["scimType"] == "invalidValue"
    assert "loop" in error["detail"] and "Ceo" in error["detail"] and "Vp" in error["detail"]
    ceo.refresh_from_db()
    assert ceo.manager is None


def test_a_person_cannot_manage_themselves(organisation, api):
    person = PersonFactory(organisation=organisation)
    response = api.patch(f"Users/{person.pk}", [
        {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": str(person.pk)}
    ])
    assert response.status_code == 400
    assert error_of(response)["scimType"] == "invalidValue"


def test_patch_the_work_email_sets_the_email(organisation, api):
    person = PersonFactory(organisation=organisation, email="old@example.com")
    user = patched(api, person, [
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"}
    ])
    assert person.email == "new@example.com"
    # The login stays the one the provider looks the person up by.
    assert user["userName"] == "old@example.com"
    # Both come (Entra ID: userPrincipalName and mail): the login and the email differ.
    user = patched(api, person, [
        {"op": "replace", "path": "userName", "value": "upn@example.com"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "mail@example.com"},
    ])
    assert (person.user_name, person.email) == ("upn@example.com", "mail@example.com")
    assert (user["userName"], user["emails"][0]["value"]) == (
        "upn@example.com", "mail@example.com"
    )
    # Removing emails keeps the email: every door but SCIM may have set it.
    patched(api, person, [{"op": "remove", "path": "emails"}])
    assert person.email == "mail@example.com"
    # An added address is the new one, whatever comes first in the list.
    patched(api, person, [{"op": "add", "path": "emails",
                           "value": [{"value": "added@example.com", "type": "work"}]}])
    assert person.email == "added@example.com"


def test_patch_the_name_parts(organisation, api):
    person = PersonFactory(organisation=organisation, name="Ada")
    user = patched(api, person, [
        {"op": "replace", "path": "name.givenName", "value": "Augusta"}
    ])
    assert person.given_name == "Augusta"  # kept as sent
    assert user["name"] == {"givenName": "Augusta"}
    assert person.name == "Ada"  # a given name alone does not say the full name
    patched(api, person, [{"op": "replace", "path": "name.formatted", "value": "Ada Lovelace"}])
    assert person.name == "Ada Lovelace"


def test_path_less_patch_of_the_name_parts_as_entra_id_sends_it(organisation, api):
    person = PersonFactory(organisation=organisation, name="Ada Lovelace")
    user = patched(api, person, [{"op": "Replace", "value": {
        "name.givenName": "Augusta", "name.familyName": "King",
    }}])
    assert (person.given_name, person.family_name) == ("Augusta", "King")
    assert user["name"] == {"givenName": "Augusta", "familyName": "King"}
    assert person.name == "Ada Lovelace"  # displayName was not sent
    # A name that was made of its parts follows them.
    person.name = "Augusta King"
    person.save()
    user = patched(api, person, [{"op": "replace", "path": "name.familyName",
                                  "value": "Lovelace"}])
    assert (person.name, user["displayName"]) == ("Augusta Lovelace", "Augusta Lovelace")
    # Removing the name removes its parts, not the person's name.
    user = patched(api, person, [{"op": "remove", "path": "name"}])
    assert (person.given_name, person.family_name, person.name) == ("", "", "Augusta Lovelace")
    assert "name" not in user


def test_patch_the_department(organisation, api):
    person = PersonFactory(organisation=organisation)
    user = patched(api, person, [{"op": "replace", "path": f"{ENTERPRISE}:department",
                                  "value": "Research"}])
    assert person.department == "Research"
    assert user[ENTERPRISE]["department"] == "Research"
    # Path-less, inside the extension, as Entra ID sends it.
    patched(api, person, [{"op": "replace", "value": {
        f"{ENTERPRISE}:department": "Platform"}}])
    assert person.department == "Platform"
    assert filtered(api, "Users", f'{ENTERPRISE}:department eq "platform"') == [str(person.pk)]
    patched(api, person, [{"op": "remove", "path": f"{ENTERPRISE}:department"}])
    assert person.department == ""


def test_employee_number_writes_the_external_id_unless_external_id_comes_too(organisation, api):
    person = PersonFactory(organisation=organisation, external_id="HR-1")
    user = patched(api, person, [
        {"op": "replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "HR-2"}
    ])
    assert person.external_id == "HR-2" and user["externalId"] == "HR-2"
    patched(api, person, [
        {"op": "replace", "path": "externalId", "value": "HR-3"},
        {"op": "replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "HR-4"},
    ])
    assert person.external_id == "HR-3"
    patched(api, person, [{"op": "replace", "path": f"{ENTERPRISE}:department",
                           "value": "Research"}])
    assert (person.external_id, person.department) == ("HR-3", "Research")


@pytest.mark.parametrize("operations, scim_type", [
    ([{"op": "frobnicate", "path": "title", "value": "x"}], "invalidValue"),
    ([{"op": "replace", "path": "title[", "value": "x"}], "invalidPath"),
    ([{"op": "remove"}], "noTarget"),
    ([{"op": "replace", "path": "id", "value": "9"}], "mutability"),
    ([{"op": "remove", "path": "displayName"}], "mutability"),
    ([{"op": "remove", "path": "userName"}], "mutability"),
    ([{"op": "remove", "path": "active"}], "mutability"),
    ([], "invalidValue"),
    ([{"op": "replace", "path": "password", "value": "secret"}], "invalidPath"),
    ([{"op": "add", "path": "nickNames", "value": "x"}], "invalidPath"),
    ([{"op": "replace", "path": "name.middle", "value": "x"}], "invalidPath"),
    ([{"op": "replace", "path": "urn:example:params:scim:Custom:User:badge", "value": "x"}],
     "invalidPath"),
    ([{"op": "replace", "path": "title", "value": "ok"},
      {"op": "replace", "path": "password", "value": "secret"}], "invalidPath"),
    ([{"op": "replace", "path": "active", "value": "maybe"}], "invalidValue"),
    ([{"op": "replace", "value": {"active": {"nested": True}}}], "invalidValue"),
], ids=["unknown op", "bad path", "remove without path", "read only", "remove name",
        "remove userName", "remove active", "no operations", "password", "unknown attribute",
        "unknown sub-attribute", "unknown schema", "password after a valid operation",
        "not a boolean", "an object for a boolean"])
def test_a_patch_the_service_cannot_apply_changes_nothing(organisation, api, operations,
                                                         scim_type):
    person = PersonFactory(organisation=organisation, name="Ada", title="Engineer")
    version = person.updated_at
    response = api.patch(f"Users/{person.pk}", operations)
    assert response.status_code == 400, response.content
    assert error_of(response)["scimType"] == scim_type
    person.refresh_from_db()
    assert (person.name, person.title, person.active, person.updated_at) == (
        "Ada", "Engineer", True, version
    )


def test_patch_to_a_taken_user_name_answers_409(organisation, api):
    PersonFactory(organisation=organisation, email="taken@example.com")
    person = PersonFactory(organisation=organisation)
    response = api.patch(f"Users/{person.pk}", [
        {"op": "replace", "path": "userName", "value": "Taken@Example.com"}
    ])
    assert response.status_code == 409
    assert error_of(response)["scimType"] == "uniqueness"


def test_a_patch_that_changes_nothing_writes_nothing(organisation, api):
    person = PersonFactory(organisation=organisation, title="Engineer")
    version = person.updated_at
    patched(api, person, [{"op": "replace", "path": "title", "value": "Engineer"}])
    assert person.updated_at == version and person.updated_via == Door.SYSTEM


# PUT -----------------------------------------------------------------------------------------


def test_put_replaces_the_user(organisation, token_key, api):
    boss = PersonFactory(organisation=organisation)
    person = PersonFactory(organisation=organisation, external_id="HR-1", title="Engineer",
                           manager=boss)
    response = api.put(f"Users/{person.pk}", new_user(
        id="ignored", userName="ada@example.com", displayName="Ada",
    ))
    assert response.status_code == 200
    assert response.json()["displayName"] == "Ada"
    person.refresh_from_db()
    # Left out: title and manager are cleared; the HR id and the active flag are kept.
    assert (person.email, person.name, person.title, person.manager) == (
        "ada@example.com", "Ada", "", None
    )
    assert (person.external_id, person.active) == ("HR-1", True)
    assert (person.updated_via, person.updated_by_token) == (Door.SCIM, token_key[0])


# Versions ------------------------------------------------------------------------------------


def test_a_stale_if_match_answers_412_and_changes_nothing(organisation, api):
    person = PersonFactory(organisation=organisation, title="Engineer")
    stale = api.get(f"Users/{person.pk}")["ETag"]
    current = patched(api, person, [{"op": "replace", "path": "title", "value": "Lead"}])
    headers = {"If-Match": stale}
    for response in (
        api.patch(f"Users/{person.pk}", [{"op": "replace", "path": "title", "value": "X"}],
                  headers=headers),
        api.put(f"Users/{person.pk}", new_user(userName=person.email, displayName="X"),
                headers=headers),
        api.delete(f"Users/{person.pk}", headers=headers),
    ):
        assert response.status_code == 412
        error_of(response)
    person.refresh_from_db()
    assert (person.title, person.active) == ("Lead", True)
    # The current version, weak or strong, or *, is accepted.
    version = current["meta"]["version"]
    for form in (str, lambda tag: tag.removeprefix("W/"), lambda tag: "*"):
        response = api.patch(f"Users/{person.pk}", [{"op": "replace", "path": "title",
                                                     "value": form(version)}],
                             headers={"If-Match": form(version)})
        assert response.status_code == 200, form(version)
        version = response["ETag"]


# Teams as Groups -----------------------------------------------------------------------------


def new_group(display_name, *members) -> dict:
    return {"schemas": [GROUP], "displayName": display_name,
            "members": [{"value": str(person.pk)} for person in members]}


def member_ids(response) -> list[str]:
    return [member["value"] for member in response.json().get("members", [])]


def test_a_group_is_the_team_with_the_members_scim_serves(organisation, api):
    team = TeamFactory(organisation=organisation, name="Platform")
    ada = PersonFactory(organisation=organisation, name="Ada")
    # Deactivated (active: false): still a User, still a member, as a provider expects after
    # adding them; deleted through SCIM: neither.
    away = PersonFactory(organisation=organisation, active=False)
    gone = PersonFactory(organisation=organisation, active=False, scim_deleted_at=timezone.now())
    for person in (ada, away, gone):
        MembershipFactory(person=person, team=team)
    response = api.get(f"Groups/{team.pk}")
    group = response.json()
    assert group["schemas"] == [GROUP]
    assert (group["id"], group["displayName"]) == (str(team.pk), "Platform")
    assert group["members"] == [
        {"value": str(p.pk), "$ref": f"http://testserver/scim/v2/Users/{p.pk}", "type": "User"}
        for p in (ada, away)
    ]
    assert group["meta"]["version"] == response["ETag"]
    named = api.get(f"Groups/{team.pk}", {"attributes": "members.display"}).json()
    assert named["members"][0] == {"display": "Ada"}
    assert api.get("Groups/999999").status_code == 404
    assert api.get("Groups/abc").status_code == 404


def test_group_filters(organisation, api):
    platform = TeamFactory(organisation=organisation, name="Platform")
    data = TeamFactory(organisation=organisation, name="Data")
    ada = PersonFactory(organisation=organisation)
    MembershipFactory(person=ada, team=data)
    # Team names are unique as written: displayName is case exact.
    assert filtered(api, "Groups", 'displayName eq "Platform"') == [str(platform.pk)]
    assert filtered(api, "Groups", 'displayName eq "PLATFORM"') == []
    assert filtered(api, "Groups", f'members.value eq "{ada.pk}"') == [str(data.pk)]
    assert filtered(api, "Groups", f'members[value eq "{ada.pk}"]') == [str(data.pk)]
    assert filtered(api, "Groups", 'displayName eq "Data" and members pr') == [str(data.pk)]
    assert filtered(api, "Groups", 'externalId eq "x"') == []  # teams have no external id
    response = api.get("Groups", {"filter": 'userName eq "x"'})
    assert response.status_code == 400 and error_of(response)["scimType"] == "invalidFilter"


def test_groups_can_be_listed_without_their_members(organisation, api):
    team = TeamFactory(organisation=organisation)
    MembershipFactory(person=PersonFactory(organisation=organisation), team=team)
    listed = api.get("Groups", {"excludedAttributes": "members"}).json()["Resources"]
    assert "members" not in listed[0] and listed[0]["displayName"] == team.name
    only_names = api.get("Groups", {"attributes": "displayName"}).json()["Resources"]
    assert set(only_names[0]) == {"schemas", "id", "displayName"}


def test_post_group_creates_a_team_with_its_members(organisation, token_key, api):
    ada, bob = PersonFactory.create_batch(2, organisation=organisation)
    response = api.post("Groups", new_group("Platform", ada, bob))
    assert response.status_code == 201
    team = Team.objects.get(organisation=organisation, name="Platform")
    assert response["Location"] == f"http://testserver/scim/v2/Groups/{team.pk}"
    assert sorted(member_ids(response)) == sorted([str(ada.pk), str(bob.pk)])
    assert team.kind == "other"
    assert {(m.person, m.allocation) for m in team.memberships.all()} == {(ada, 100), (bob, 100)}
    assert (team.updated_via, team.updated_by_token) == (Door.SCIM, token_key[0])
    assert {m.updated_via for m in team.memberships.all()} == {Door.SCIM}


def test_post_group_refusals_write_nothing(organisation, api):
    TeamFactory(organisation=organisation, name="Platform")
    ada = PersonFactory(organisation=organisation)
    taken = api.post("Groups", new_group("Platform"))
    assert taken.status_code == 409 and error_of(taken)["scimType"] == "uniqueness"
    unknown = api.post("Groups", {"schemas": [GROUP], "displayName": "Data",
                                  "members": [{"value": "999999"}]})
    assert unknown.status_code == 400 and "999999" in error_of(unknown)["detail"]
    nested = api.post("Groups", {"schemas": [GROUP], "displayName": "Data",
                                 "members": [{"value": str(ada.pk), "type": "Group"}]})
    assert nested.status_code == 400
    separator = api.post("Groups", new_group("Data: core"))
    assert separator.status_code == 400 and error_of(separator)["scimType"] == "invalidValue"
    assert list(Team.objects.filter(organisation=organisation).values_list("name", flat=True)
                ) == ["Platform"]


def test_patch_group_members(organisation, api):
    team = TeamFactory(organisation=organisation)
    ada, bob, cy = PersonFactory.create_batch(3, organisation=organisation)
    MembershipFactory(person=ada, team=team, allocation=40)
    response = api.patch(f"Groups/{team.pk}", [
        {"op": "Add", "path": "members", "value": [{"value": str(bob.pk)}, {"value": str(cy.pk)}]}
    ])
    assert response.status_code == 200
    assert sorted(member_ids(response)) == sorted(map(str, [ada.pk, bob.pk, cy.pk]))
    assert team.memberships.get(person=ada).allocation == 40  # who stays keeps their share
    response = api.patch(f"Groups/{team.pk}", [
        {"op": "remove", "path": f'members[value eq "{ada.pk}"]'}
    ])
    assert sorted(member_ids(response)) == sorted(map(str, [bob.pk, cy.pk]))
    # Entra ID: a remove carrying the members it removes.
    response = api.patch(f"Groups/{team.pk}", [
        {"op": "Remove", "path": "members", "value": [{"value": str(bob.pk)}]}
    ])
    assert member_ids(response) == [str(cy.pk)]
    assert list(team.memberships.values_list("person_id", flat=True)) == [cy.pk]
    unknown = api.patch(f"Groups/{team.pk}", [
        {"op": "add", "path": "members", "value": [{"value": "999999"}]}
    ])
    assert unknown.status_code == 400
    response = api.patch(f"Groups/{team.pk}", [{"op": "remove", "path": "members"}])
    assert response.status_code == 200 and not team.memberships.exists()


def test_patch_group_renames_the_team(organisation, api):
    team = TeamFactory(organisation=organisation, name="Platform")
    TeamFactory(organisation=organisation, name="Data")
    response = api.patch(f"Groups/{team.pk}", [
        {"op": "Replace", "path": "displayName", "value": "ML Platform"}
    ])
    assert response.json()["displayName"] == "ML Platform"
    response = api.patch(f"Groups/{team.pk}", [
        {"op": "replace", "value": {"id": str(team.pk), "displayName": "Core Platform"}}
    ])
    assert response.status_code == 200
    team.refresh_from_db()
    assert team.name == "Core Platform"
    taken = api.patch(f"Groups/{team.pk}", [{"op": "replace", "path": "displayName",
                                             "value": "Data"}])
    assert taken.status_code == 409 and error_of(taken)["scimType"] == "uniqueness"
    removed = api.patch(f"Groups/{team.pk}", [{"op": "remove", "path": "displayName"}])
    assert removed.status_code == 400 and error_of(removed)["scimType"] == "mutability"


def test_put_group_replaces_name_and_members(organisation, api):
    team = TeamFactory(organisation=organisation, name="Platform")
    ada, bob = PersonFactory.create_batch(2, organisation=organisation)
    MembershipFactory(person=ada, team=team)
    response = api.put(f"Groups/{team.pk}", new_group("Data", bob))
    assert response.status_code == 200
    assert member_ids(response) == [str(bob.pk)]
    team.refresh_from_db()
    assert team.name == "Data"
    assert list(team.memberships.values_list("person_id", flat=True)) == [bob.pk]


def test_a_group_version_follows_its_members(organisation, api):
    team = TeamFactory(organisation=organisation)
    ada = PersonFactory(organisation=organisation)
    stale = api.get(f"Groups/{team.pk}")["ETag"]
    api.patch(f"Groups/{team.pk}", [{"op": "add", "path": "members",
                                     "value": [{"value": str(ada.pk)}]}])
    assert api.get(f"Groups/{team.pk}")["ETag"] != stale
    response = api.patch(f"Groups/{team.pk}", [{"op": "remove", "path": "members"}],
                         headers={"If-Match": stale})
    assert response.status_code == 412
    assert team.memberships.count() == 1
    put = api.put(f"Groups/{team.pk}", new_group("Renamed"), headers={"If-Match": stale})
    assert put.status_code == 412


def test_deleting_a_group_deletes_the_team_but_not_its_people(organisation, api):
    team = TeamFactory(organisation=organisation, name="Platform")
    member = MembershipFactory(person=PersonFactory(organisation=organisation), team=team)
    assert api.delete(f"Groups/{team.pk}").status_code == 204
    assert api.get(f"Groups/{team.pk}").status_code == 404
    assert Person.objects.filter(pk=member.person_id, active=True).exists()
    assert api.delete("Groups/999999").status_code == 404


def test_a_group_engaged_in_pipelines_is_not_deleted(organisation, api):
    team = TeamFactory(organisation=organisation, name="Platform")
    EngagementFactory(pipeline=PipelineFactory(organisation=organisation), team=team)
    response = api.delete(f"Groups/{team.pk}")
    assert response.status_code == 400
    assert "clear its cells in the matrix first" in error_of(response)["detail"]
    assert api.get(f"Groups/{team.pk}").status_code == 200


# Queries -------------------------------------------------------------------------------------


def test_reads_do_not_grow_with_the_organisation(django_assert_num_queries):
    for people, teams in ((400, 20), (1600, 60)):
        organisation = OrganisationFactory()
        generate_org(organisation, people=people, teams=teams, pipelines=20, seed=3)
        token, key = token_create(organisation=organisation, name="idp", scope="read")
        # The token counts as just used, so no write records its use.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        api = Scim(key)
        someone = Person.objects.filter(organisation=organisation, active=True,
                                        manager__isnull=False).first()
        # token, rate, count, the page of people with their managers, their memberships
        with django_assert_num_queries(5):
            users = api.get("Users", {"count": 200})
        assert users.json()["itemsPerPage"] == 200
        assert any(ENTERPRISE in user for user in users.json()["Resources"])
        # token, rate, the person with their manager, their memberships with teams
        with django_assert_num_queries(4):
            assert api.get(f"Users/{someone.pk}").status_code == 200
        # token, rate, count, the page of teams with their versions, their active members
        with django_assert_num_queries(5):
            groups = api.get("Groups")
        assert groups.json()["Resources"][0].get("members")
        # token, rate, the team with its version, its active members
        team_id = groups.json()["Resources"][0]["id"]
        with django_assert_num_queries(4):
            assert api.get(f"Groups/{team_id}").status_code == 200
        # the same by userName: token, rate, count, page, memberships
        with django_assert_num_queries(5):
            found = api.get("Users", {"filter": f'userName eq "{someone.email.upper()}"'})
        assert found.json()["totalResults"] == 1


# The mapping alone, without the database -----------------------------------------------------


def test_quirky_patch_bodies_are_normalised_before_the_library_reads_them():
    manager = f"{ENTERPRISE}:manager"
    body = {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": manager, "value": "42"},
        {"op": "Remove", "path": manager, "value": [{"value": "42"}]},
        {"op": "replace", "path": manager, "value": ""},
        {"op": "replace", "value": {manager: 7, ENTERPRISE: {"manager": "8", "department": "x"}}},
        {"op": "replace", "path": "title", "value": "unchanged"},
    ]}
    assert normalise_patch(body)["Operations"] == [
        {"op": "Replace", "path": manager, "value": {"value": "42"}},
        {"op": "Remove", "path": manager},
        {"op": "remove", "path": manager},
        {"op": "replace", "value": {manager: {"value": "7"},
                                    ENTERPRISE: {"manager": {"value": "8"}, "department": "x"}}},
        {"op": "replace", "path": "title", "value": "unchanged"},
    ]
    assert normalise_patch(["not", "a", "patch"]) == ["not", "a", "patch"]


def test_a_patch_is_applied_to_a_copy_and_read_back_as_changes():
    person = Person(pk=5, name="Ada", email="ada@example.com", external_id="HR-1", manager_id=2)
    state = user_state(person)
    after = apply_patch(UserRequest, state, {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "value": {"active": "False", "title": "Lead"}},
        {"op": "remove", "path": f"{ENTERPRISE}:manager"},
    ]})
    assert state.active is True  # untouched
    changes = user_changes(state, after)
    assert (changes.active, changes.title, changes.manager_id) == (False, "Lead", "")
    assert (changes.email, changes.name, changes.external_id) == (None, None, None)


def test_a_new_user_reads_its_name_and_external_id_from_what_comes():
    def values(user_name=" a@example.com ", **fields):
        user = validated(UserRequest, new_user(userName=user_name, **fields),
                         Context.RESOURCE_CREATION_REQUEST)
        return for_new_person(user_values(user))

    assert values(displayName="Ada").name == "Ada"
    assert values(name={"formatted": "Ada L", "givenName": "X"}).name == "Ada L"
    assert values(name={"givenName": "Ada", "familyName": "Lovelace"}).name == "Ada Lovelace"
    assert values(displayName="A", externalId="HR-1", **{ENTERPRISE: {"employeeNumber": "E"}}
                  ).external_id == "HR-1"
    assert values(displayName="A", **{ENTERPRISE: {"employeeNumber": "E"}}).external_id == "E"
    assert values(displayName="A").external_id is None  # nothing to write
    assert (values(displayName="A").email, values(displayName="A").active) == (
        "a@example.com", True
    )
    # Only userName: the name is the login; a login that is not an email gives no email.
    assert (values("jsmith").name, values("jsmith").email, values("jsmith").user_name) == (
        "jsmith", None, "jsmith"
    )
    # The email: the primary address, else the work one, else the first.
    emails = [{"value": "home@example.com", "type": "home"},
              {"value": "work@example.com", "type": "work"},
              {"value": "main@example.com", "type": "other", "primary": True}]
    assert values("jsmith", emails=emails).email == "main@example.com"
    assert values("jsmith", emails=emails[:2]).email == "work@example.com"
    assert values("jsmith", emails=emails[:1]).email == "home@example.com"
