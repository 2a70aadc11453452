"""The encrypted field of a directory connector's secret (an Entra client secret, an Okta API
token): django-fernet-encrypted-fields' field, keyed by `ORGDESIGN_SECRETS_KEY` instead of
the library's `SECRET_KEY` and `SALT_KEY`, so that rotating the key that signs sessions does
not lose every connector's secret, and a database copied without the key holds nothing usable.

`ORGDESIGN_SECRETS_KEY` is one or more passphrases separated by commas: the first encrypts,
each decrypts (rotation). A value no key decrypts reads as empty (the connector then says its
secret must be saved again), never as the ciphertext.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from encrypted_fields.fields import EncryptedTextField

# Fixed: the key is already secret and random; the salt only separates this use of it.
SALT = b"orgdesign.directory-secrets"
# A key shorter than this is refused (teams/directory/connectors.py says so to the admin).
MIN_KEY_LENGTH = 32


class SecretsKeyMissing(Exception):
    """`ORGDESIGN_SECRETS_KEY` is not set, or too short to encrypt with."""


def secrets_keys() -> list[str]:
    keys = [key.strip() for key in settings.ORGDESIGN_SECRETS_KEY.split(",") if key.strip()]
    if not keys or len(keys[0]) < MIN_KEY_LENGTH:
        raise SecretsKeyMissing(
            "Directory secrets cannot be saved: set ORGDESIGN_SECRETS_KEY to a random value "
            f"of at least {MIN_KEY_LENGTH} characters (for example the output of "
            "`python -c \"import secrets; print(secrets.token_urlsafe(48))\"`) and restart.")
    return keys


def _fernet(key: str) -> Fernet:
    derived = hashlib.pbkdf2_hmac("sha256", key.encode(), SALT, 100_000)
    return Fernet(base64.urlsafe_b64encode(derived))


_CACHE: dict[str, MultiFernet] = {}


def crypter() -> MultiFernet:
    """The keys of the setting as read now (tests change it), derived once each."""
    setting = settings.ORGDESIGN_SECRETS_KEY
    if setting not in _CACHE:
        _CACHE[setting] = MultiFernet([_fernet(key) for key in secrets_keys()])
    return _CACHE[setting]


class SecretField(EncryptedTextField):
    """Encrypted at rest with `ORGDESIGN_SECRETS_KEY`; empty when no key reads it."""

    @property
    def f(self) -> MultiFernet:  # the library's name for its Fernet
        return crypter()

    def from_db_value(self, value, expression, connection):
        # Strict where the library is lenient: a stored value no key decrypts is not
        # handed on as if it were the secret.
        if not value or not isinstance(value, str):
            return value
        try:
            return crypter().decrypt(value.encode()).decode()
        except (InvalidToken, SecretsKeyMissing, ValueError):
            return ""
