"""API tokens: created by an admin in the browser or by command, shown once, stored hashed."""

import hashlib
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from teams.models import ApiToken
from teams.tokens import token_create, token_for_key, token_revoke
from tests.factories import AccessFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_only_as_a_hash():
    organisation = OrganisationFactory()
    token, key = token_create(organisation=organisation, name="Workday", scope="write")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.name, stored.key_prefix, stored.key_hash}
    assert token_for_key(key) == stored


def test_a_revoked_or_unknown_key_finds_no_token():
    token, key = token_create(organisation=OrganisationFactory(), name="Okta")
    assert token_for_key(key + "x") is None
    token_revoke(token=token)
    assert token_for_key(key) is None


def test_create_api_token_prints_the_key_alone_on_the_last_line():
    organisation = OrganisationFactory(slug="acme")
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "acme", name="Sync", scope="write", stdout=out, stderr=err)
    last_line = (err.getvalue() + out.getvalue()).strip().splitlines()[-1]
    assert re.fullmatch(r"od_[A-Za-z0-9_-]{40,}", last_line)
    token = token_for_key(last_line)
    assert (token.organisation, token.scope, token.name) == (organisation, "write", "Sync")


def test_create_api_token_refuses_an_unknown_organisation():
    with pytest.raises(CommandError):
        call_command("create_api_token", "nope", name="Sync", stdout=StringIO())


@pytest.fixture
def admin_client():
    organisation = OrganisationFactory()
    user = UserFactory()
    AccessFactory(organisation=organisation, user=user, role="admin")
    client = Client()
    client.force_login(user)
    return organisation, client


def test_an_admin_creates_a_token_and_sees_the_key_once(admin_client):
    organisation, client = admin_client
    response = client.post(f"/orgs/{organisation.slug}/tokens/", {"name": "HRIS", "scope": "read"})
    key = re.search(r'value="(od_[^"]+)"', response.content.decode()).group(1)
    assert token_for_key(key).organisation == organisation
    listing = client.get(f"/orgs/{organisation.slug}/tokens/").content.decode()
    assert "HRIS" in listing
    assert key not in listing


def test_an_admin_revokes_a_token(admin_client):
    organisation, client = admin_client
    token, key = token_create(organisation=organisation, name="Old")
    client.post(f"/orgs/{organisation.slug}/tokens/{token.pk}/revoke/")
    assert token_for_key(key) is None


def test_a_token_of_another_organisation_cannot_be_revoked(admin_client):
    organisation, client = admin_client
    token, key = token_create(organisation=OrganisationFactory(), name="Theirs")
    response = client.post(f"/orgs/{organisation.slug}/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert token_for_key(key) is not None


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_manage_tokens(role):
    organisation = OrganisationFactory()
    user = UserFactory()
    AccessFactory(organisation=organisation, user=user, role=role)
    client = Client()
    client.force_login(user)
    assert client.get(f"/orgs/{organisation.slug}/tokens/").status_code == 403
    response = client.post(f"/orgs/{organisation.slug}/tokens/", {"name": "X", "scope": "write"})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_name(admin_client):
    organisation, client = admin_client
    response = client.post(f"/orgs/{organisation.slug}/tokens/", {"name": " ", "scope": "read"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
