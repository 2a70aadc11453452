"""Login attempts are limited per account and per address (django-axes): from the fifth wrong
password on, even the right one is refused for 15 minutes, with a page that says so."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a right password 42"


def attempt(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address)


@pytest.fixture
def user():
    user = UserFactory(username="ada")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(user):
    client = Client()
    for _ in range(4):
        response = attempt(client, "ada", "wrong")
        assert response.status_code == 200  # the form again, with its error
        assert "didn't match" in response.content.decode()
    assert attempt(client, "ada", "wrong").status_code == 429  # the fifth locks
    locked = attempt(client, "ada", PASSWORD)
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many attempts" in text and "15 minutes" in text and "ada" in text
    assert "_auth_user_id" not in client.session
    # From another address too: the account is locked, not only the address.
    assert attempt(Client(), "ada", PASSWORD, address="10.9.9.9").status_code == 429


def test_five_wrong_passwords_from_one_address_lock_the_address(user):
    client = Client()
    for name in ("bob", "carol", "dave", "erin", "frank"):
        attempt(client, name, "guess")
    assert attempt(client, "ada", PASSWORD).status_code == 429
    # Ada from elsewhere is not locked out.
    elsewhere = Client()
    response = attempt(elsewhere, "ada", PASSWORD, address="10.2.2.2")
    assert response.status_code == 302
    assert elsewhere.session["_auth_user_id"] == str(user.pk)


def test_the_lock_ends_after_the_cool_off(user, settings):
    from axes.models import AccessAttempt

    client = Client()
    for _ in range(5):
        attempt(client, "ada", "wrong")
    assert attempt(client, "ada", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
    assert attempt(client, "ada", PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(user):
    client = Client()
    for _ in range(4):
        attempt(client, "ada", "wrong")
    assert attempt(client, "ada", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "ada", "wrong")
    assert attempt(client, "ada", PASSWORD).status_code == 302


def test_the_lockout_and_the_form_sent_back_are_never_stored(user):
    # Both name the account tried, and the login has no session yet to mark them private.
    client = Client()
    wrong = attempt(client, "ada", "wrong")
    for _ in range(4):
        attempt(client, "ada", "wrong")
    locked = attempt(client, "ada", PASSWORD)
    assert (wrong.status_code, locked.status_code) == (200, 429)
    for response in (wrong, locked):
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control, response.status_code
        assert "script-src 'self'" in response["Content-Security-Policy"]
