"""The settings the test suite runs on: production's (orgdesign.settings), with the variables a
local run lacks. Tests exercise production's behaviour, not DEBUG's; they are served over
plain http by Django's test client and live servers, so the redirect to https and secure
cookies are off unless a test turns them on (tests/test_security_settings.py does).
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-key-" + "k3y-0f-the-test-suite-" * 3)
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("ORGDESIGN_SECRETS_KEY", "tests-only-secrets-key-" + "s3cr3ts-" * 4)

from orgdesign.settings import *  # noqa: E402, F403
