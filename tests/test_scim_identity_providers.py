"""SCIM as real identity-provider configurations use it (docs/design.md section 4): any unique
userName (plain logins as well as emails), only userName required, the email from `emails`,
the given and family names and the HR department kept, RFC 7644 error types, and requests
shaped the way Entra ID and Okta send them.
"""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from teams.models import Door, Person, Team
from teams.tokens import token_create
from tests.api_helpers import api_url, token_client
from tests.factories import PersonFactory, client_for
from tests.scim_client import ENTERPRISE, GROUP, USER, Scim, error_of, new_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(organisation) -> Scim:
    """A SCIM client with a write token of the organisation, as an identity provider holds."""
    return Scim(token_create(organisation=organisation, name="Okta", scope="write")[1])


def ids_of(api, expression: str) -> list[str]:
    response = api.get("Users", {"filter": expression})
    assert response.status_code == 200, response.content
    return [user["id"] for user in response.json()["Resources"]]


def test_a_user_with_only_a_user_name_is_created(organisation, api):
    response = api.post("Users", {"schemas": [USER], "userName": "jsmith"})
    assert response.status_code == 201, response.content
    user = response.json()
    person = Person.objects.get(pk=user["id"])
    # The name falls back to the login; no email can be made of a plain login.
    assert (person.user_name, person.name, person.email, person.active) == (
        "jsmith", "jsmith", "", True
    )
    assert (person.updated_via, person.organisation) == (Door.SCIM, organisation)
    assert (user["userName"], user["displayName"], user["active"]) == ("jsmith", "jsmith", True)
    assert "emails" not in user
    # userName is matched in any case, as identity providers look users up before creating.
    assert ids_of(api, 'userName eq "JSmith"') == [user["id"]]
    assert ids_of(api, 'userName sw "jsm"') == [user["id"]]


def test_a_plain_login_with_an_email_in_emails(api):
    response = api.post("Users", new_user(
        userName="jsmith", displayName="Jane Smith",
        emails=[{"value": "jane.smith@example.com", "type": "work", "primary": True}],
    ))
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    assert (person.user_name, person.email) == ("jsmith", "jane.smith@example.com")
    user = api.get(f"Users/{person.pk}").json()
    assert user["userName"] == "jsmith"
    assert user["emails"] == [
        {"value": "jane.smith@example.com", "type": "work", "primary": True}
    ]
    assert ids_of(api, 'emails.value eq "Jane.Smith@example.com"') == [str(person.pk)]


def test_a_upn_that_is_not_a_mailbox_keeps_the_mail_apart(api):
    # Entra ID: userPrincipalName -> userName, mail -> emails[type eq "work"].value.
    response = api.post("Users", new_user(
        userName="jsmith@corp.onmicrosoft.com", displayName="Jane Smith",
        emails=[{"value": "jane@example.com", "type": "work"}],
    ))
    person = Person.objects.get(pk=response.json()["id"])
    assert (person.user_name, person.email) == ("jsmith@corp.onmicrosoft.com", "jane@example.com")
    # A userName that is an email, with no emails, is the email too.
    response = api.post("Users", new_user(userName="bob@example.com"))
    person = Person.objects.get(pk=response.json()["id"])
    assert (person.user_name, person.email, person.name) == (
        "bob@example.com", "bob@example.com", "bob@example.com"
    )


def test_the_name_falls_back_from_display_name_to_formatted_to_parts_to_user_name(api):
    def name_of(**fields):
        response = api.post("Users", new_user(**fields))
        assert response.status_code == 201, response.content
        return Person.objects.get(pk=response.json()["id"])

    assert name_of(userName="a1", displayName="Ada", name={"formatted": "X"}).name == "Ada"
    assert name_of(userName="a2", name={"formatted": "Ada L", "givenName": "Q"}).name == "Ada L"
    parts = name_of(userName="a3", name={"givenName": "Ada", "familyName": "Lovelace"})
    assert (parts.name, parts.given_name, parts.family_name) == ("Ada Lovelace", "Ada", "Lovelace")
    assert name_of(userName="a4").name == "a4"


def test_okta_shape_with_the_department(organisation, api):
    # Okta's default User: userName (login), name parts, emails, the enterprise department.
    boss = PersonFactory(organisation=organisation)
    response = api.post("Users", {
        "schemas": [USER, ENTERPRISE],
        "userName": "jdoe",
        "name": {"givenName": "John", "familyName": "Doe"},
        "emails": [{"primary": True, "value": "john.doe@example.com", "type": "work"}],
        "displayName": "John Doe",
        "locale": "en-US",
        "externalId": "00u1abcd",
        "groups": [],
        "password": "ignored-in-a-post",
        "active": True,
        ENTERPRISE: {"department": "Research", "manager": {"value": str(boss.pk)}},
    })
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    assert (person.user_name, person.email, person.given_name, person.family_name) == (
        "jdoe", "john.doe@example.com", "John", "Doe"
    )
    assert (person.department, person.manager, person.external_id) == ("Research", boss, "00u1abcd")
    # Okta then updates with PUT: what it leaves out is cleared, the email and login stay.
    response = api.put(f"Users/{person.pk}", {
        "schemas": [USER], "userName": "jdoe", "displayName": "John Doe",
        "name": {"givenName": "John", "familyName": "Doe"}, "active": True,
    })
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert (person.email, person.department, person.manager) == ("john.doe@example.com", "", None)


def test_the_department_is_shown_on_the_persons_page(organisation, api):
    response = api.post("Users", new_user(
        userName="jsmith", displayName="Jane Smith",
        **{ENTERPRISE: {"department": "Group Research <HQ>"}},
    ))
    person = Person.objects.get(pk=response.json()["id"])
    page = client_for(organisation).get(f"/orgs/{organisation.slug}/people/{person.pk}/")
    text = page.content.decode()
    assert 'value="Group Research &lt;HQ&gt;"' in text  # the department field, escaped
    assert "<code>jsmith</code>" in text  # the login, read only


def test_re_post_after_delete_with_only_user_name_and_external_id_brings_them_back(
    organisation, api
):
    boss = PersonFactory(organisation=organisation)
    created = api.post("Users", new_user(
        userName="jsmith", externalId="HR-9", displayName="Jane Smith", title="Scientist",
        **{ENTERPRISE: {"department": "Research", "manager": str(boss.pk)}},
    )).json()
    assert api.delete(f"Users/{created['id']}").status_code == 204
    assert api.get(f"Users/{created['id']}").status_code == 404

    response = api.post("Users", new_user(userName="jsmith", externalId="HR-9"))
    assert response.status_code == 201, response.content
    assert response.json()["id"] == created["id"]
    person = Person.objects.get(pk=created["id"])
    # Back, with everything the minimal POST did not send.
    assert (person.active, person.scim_deleted_at) == (True, None)
    assert (person.name, person.title, person.department, person.manager) == (
        "Jane Smith", "Scientist", "Research", boss
    )
    assert Person.objects.filter(organisation=organisation).count() == 2

    # By userName alone (any case), when the request has no externalId.
    api.delete(f"Users/{created['id']}")
    again = api.post("Users", new_user(userName="JSMITH"))
    assert again.status_code == 201 and again.json()["id"] == created["id"]


def test_a_duplicate_user_name_or_external_id_answers_409_uniqueness(organisation, api):
    first = api.post("Users", new_user(userName="jsmith", externalId="HR-1"))
    assert first.status_code == 201
    PersonFactory(organisation=organisation, email="hr.only@example.com")  # never through SCIM
    for user in (
        new_user(userName="JSmith"),  # another case of the same login
        new_user(userName="hr.only@example.com"),  # that person's userName is their email
        new_user(userName="other", externalId="HR-1"),
    ):
        response = api.post("Users", user)
        assert response.status_code == 409, user
        assert error_of(response)["scimType"] == "uniqueness"
    assert Person.objects.filter(organisation=organisation).count() == 2
    # A PATCH to a taken login too.
    second = api.post("Users", new_user(userName="other")).json()
    response = api.patch(f"Users/{second['id']}", [
        {"op": "replace", "path": "userName", "value": "JSMITH"}
    ])
    assert response.status_code == 409
    assert error_of(response)["scimType"] == "uniqueness"
    assert Person.objects.get(pk=second["id"]).user_name == "other"


def test_patch_of_the_user_name_moves_the_email_with_it_when_it_was_the_email(api):
    created = api.post("Users", new_user(userName="old@example.com")).json()
    person = Person.objects.get(pk=created["id"])
    assert person.email == "old@example.com"
    api.patch(f"Users/{person.pk}", [
        {"op": "replace", "path": "userName", "value": "new@example.com"}
    ])
    person.refresh_from_db()
    assert (person.user_name, person.email) == ("new@example.com", "new@example.com")
    # To a plain login: the email stays what it was.
    api.patch(f"Users/{person.pk}", [{"op": "replace", "path": "userName", "value": "newbie"}])
    person.refresh_from_db()
    assert (person.user_name, person.email) == ("newbie", "new@example.com")


@pytest.mark.parametrize("body", [
    {"userName": 123},
    {"userName": "x", "displayName": ["a"]},
    {"userName": "x", "active": "sometimes"},
    {"userName": "x", "emails": "x@example.com"},
    {"userName": "x", ENTERPRISE: {"department": {"name": "R"}}},
], ids=["number login", "list name", "bad boolean", "emails not a list", "object department"])
def test_wrong_types_answer_400_invalid_value_and_write_nothing(organisation, api, body):
    response = api.post("Users", {"schemas": [USER], **body})
    assert response.status_code == 400, response.content
    assert error_of(response)["scimType"] == "invalidValue"
    assert not Person.objects.filter(organisation=organisation).exists()


def test_a_patch_of_a_password_is_refused_and_changes_nothing(organisation, api):
    person = PersonFactory(organisation=organisation, title="Engineer")
    version = person.updated_at
    response = api.patch(f"Users/{person.pk}", [
        {"op": "replace", "path": "title", "value": "Lead"},
        {"op": "replace", "path": "password", "value": "hunter2"},
    ])
    assert response.status_code == 400
    error = error_of(response)
    assert error["scimType"] == "invalidPath"
    assert "password" in error["detail"]
    person.refresh_from_db()
    assert (person.title, person.updated_at) == ("Engineer", version)


def test_an_attribute_the_design_does_not_keep_is_accepted_and_dropped(organisation, api):
    # Entra ID maps phone numbers and addresses by default: they are RFC attributes, so the
    # PATCH is fine and changes nothing the design keeps.
    person = PersonFactory(organisation=organisation, title="Engineer")
    response = api.patch(f"Users/{person.pk}", [
        {"op": "add", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 555"},
        {"op": "replace", "path": 'addresses[type eq "work"].locality', "value": "Paris"},
        {"op": "replace", "path": "title", "value": "Lead"},
    ])
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.title == "Lead"
    assert "phoneNumbers" not in response.json()


def test_the_group_external_id_is_kept_and_found(organisation, api):
    response = api.post("Groups", {"schemas": [GROUP], "displayName": "Data", "externalId": "g-1"})
    assert response.status_code == 201, response.content
    group = response.json()
    assert group["externalId"] == "g-1"
    team = Team.objects.get(pk=group["id"])
    assert team.external_id == "g-1"
    found = api.get("Groups", {"filter": 'externalId eq "g-1"'}).json()
    assert [g["id"] for g in found["Resources"]] == [group["id"]]
    api.patch(f"Groups/{group['id']}", [{"op": "remove", "path": "externalId"}])
    team.refresh_from_db()
    assert team.external_id == ""


def test_a_group_member_that_does_not_exist_is_refused(organisation, api):
    # Ids are the server's: a member id that names no user cannot name one later, so it is
    # refused (README, SCIM) rather than kept pending.
    group = api.post("Groups", {"schemas": [GROUP], "displayName": "Data"}).json()
    response = api.patch(f"Groups/{group['id']}", [
        {"op": "add", "path": "members", "value": [{"value": "424242"}]}
    ])
    assert response.status_code == 400
    assert error_of(response)["scimType"] == "invalidValue"
    assert "424242" in error_of(response)["detail"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_each_persons_email_as_their_user_name():
    executor = MigrationExecutor(connection)
    before = [("teams", "0011_history")]
    after = [("teams", "0012_person_login_names_department")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    Organisation = old_apps.get_model("teams", "Organisation")
    OldPerson = old_apps.get_model("teams", "Person")
    organisation = Organisation.objects.create(slug="old", name="Old")
    OldPerson.objects.create(organisation=organisation, name="Ada", email="Ada@Example.com")
    OldPerson.objects.create(organisation=organisation, name="Bob", email="")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    NewPerson = new_apps.get_model("teams", "Person")
    assert dict(NewPerson.objects.values_list("name", "user_name")) == {
        "Ada": "Ada@Example.com", "Bob": ""
    }
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_sync_cannot_give_someone_an_email_that_is_another_persons_login(organisation, api):
    # jane's login is an address that is not her email; an HR record that takes that address
    # as its email would give a second person the same userName.
    api.post("Users", new_user(userName="boss@example.com", displayName="Jane",
                               emails=[{"value": "jane@example.com", "primary": True}]))
    hr = token_client(organisation)
    response = hr.post(api_url(organisation, "people/sync/"), {"people": [
        {"external_id": "E1", "name": "Bob", "email": "BOSS@example.com"},
    ]}, format="json")
    assert response.status_code == 400, response.content
    assert "login" in response.json()["errors"][0]["errors"]["email"][0]
    assert not Person.objects.filter(organisation=organisation, external_id="E1").exists()
