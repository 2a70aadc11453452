"""What a review of the hardening found, each held: a JSON integer too long to convert, CSV
exports spending the token's budget, a SCIM email change keeping the login, userNames compared
with the database's own case folding, static files cacheable for a logged-in browser."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from teams.models import Person
from teams.tokens import token_create
from tests.api_helpers import api_url, token_client
from tests.factories import OrganisationFactory, PersonFactory, client_for
from tests.scim_client import USER, Scim, error_of

pytestmark = pytest.mark.django_db

HUGE = "1" * 5000  # more digits than Python converts to an int (4,300)


@pytest.fixture
def acme():
    return OrganisationFactory(slug="acme")


def test_an_integer_too_long_to_convert_is_a_400_at_every_json_door(acme):
    api = token_client(acme)
    for path in ("people/", "people/sync/"):
        response = api.post(api_url(acme, path), data=f'{{"name": "A", "role": {HUGE}}}',
                            content_type="application/json")
        assert response.status_code == 400, (path, response.content[:200])
    _, key = token_create(organisation=acme, name="idp", scope="write")
    response = Scim(key).post("Users", f'{{"schemas": ["{USER}"], "userName": "x", '
                                       f'"active": {HUGE}}}')
    assert response.status_code == 400
    assert error_of(response)["scimType"] == "invalidSyntax"
    assert not Person.objects.filter(organisation=acme).exists()


def test_a_csv_export_with_a_token_spends_its_budget(acme):
    api = token_client(acme, "read")
    rates = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "2/hour"}}
    with override_settings(REST_FRAMEWORK=rates):
        answers = [api.get("/orgs/acme/export/people.csv").status_code for _ in range(3)]
        api_answer = api.get(api_url(acme, "people/")).status_code
    assert answers == [200, 200, 429]
    assert api_answer == 429  # the same budget as the API


def test_a_scim_email_change_keeps_the_login_the_provider_looks_up(acme):
    person = PersonFactory(organisation=acme, email="ann@example.com")  # from the HR sync
    assert person.user_name == ""  # their email stands in for the login
    _, key = token_create(organisation=acme, name="idp", scope="write")
    scim = Scim(key)
    response = scim.patch(f"Users/{person.pk}", [
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "ann.new@example.com"}
    ])
    assert response.status_code == 200
    assert response.json()["userName"] == "ann@example.com"
    person.refresh_from_db()
    assert (person.user_name, person.email) == ("ann@example.com", "ann.new@example.com")
    found = scim.get("Users", {"filter": 'userName eq "ann@example.com"'}).json()
    assert [user["id"] for user in found["Resources"]] == [str(person.pk)]


def test_a_non_ascii_user_name_is_found_as_written_and_in_another_case_on_postgresql(acme):
    _, key = token_create(organisation=acme, name="idp", scope="write")
    scim = Scim(key)
    created = scim.post("Users", {"schemas": [USER], "userName": "Émile"}).json()
    found = scim.get("Users", {"filter": 'userName eq "Émile"'}).json()
    assert [user["id"] for user in found["Resources"]] == [created["id"]]
    if connection.vendor == "postgresql":
        # PostgreSQL folds every letter; SQLite's LOWER() only ASCII ones (README, SCIM).
        found = scim.get("Users", {"filter": 'userName eq "ÉMILE"'}).json()
        assert [user["id"] for user in found["Resources"]] == [created["id"]]
        again = scim.post("Users", {"schemas": [USER], "userName": "émile"})
        assert again.status_code == 409


def test_static_files_stay_cacheable_for_a_logged_in_browser(acme):
    viewer = client_for(acme)
    page = viewer.get("/orgs/acme/")
    assert "no-store" in page["Cache-Control"]
    script = viewer.get("/static/js/focus.js")
    assert script.status_code == 200
    assert "no-store" not in script.get("Cache-Control", "")
