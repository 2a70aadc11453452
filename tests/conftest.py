import pytest
from django.core.management import call_command
from django.test import Client

from orgdesign.analysis.kept import forget_all
from teams.models import Organisation
from tests.api_helpers import token_client
from tests.factories import OrganisationFactory, UserFactory, client_for

# The modules only the complete loop runs (`make test`): independent checkers against a live
# server, real web processes and workers, the benchmark. The quick loop (`make test-quick`)
# leaves them out with the browser and slow tests.
COMPLETE_ONLY_MODULES = {
    "test_api_schema", "test_bench", "test_boundary_probe", "test_concurrency",
    "test_copy_snapshot", "test_job_recovery", "test_no_stale_analysis", "test_production",
    "test_scim_conformance", "test_scim_sanity", "test_scim_throttle",
}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.module.__name__.rpartition(".")[2] in COMPLETE_ONLY_MODULES:
            item.add_marker(pytest.mark.complete)


@pytest.fixture(autouse=True)
def _no_kept_analysis():
    # Analyses are kept per process by organisation id and version; a test's organisations
    # are rolled back, and on SQLite their ids come back in the next test.
    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests do not run collectstatic, so no manifest of hashed file names exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def logged_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Organisations, and clients acting in one --------------------------------------------------


@pytest.fixture
def org(db) -> Organisation:
    """An empty organisation, acme."""
    return OrganisationFactory(slug="acme", name="Acme")


@pytest.fixture
def demo(db) -> Organisation:
    """The demo organisation of `seed_demo`, with its deliberate problems."""
    call_command("seed_demo", verbosity=0)
    return Organisation.objects.get(slug="demo")


@pytest.fixture
def organisation(org) -> Organisation:
    """The organisation the clients below act in: `org`, unless a test module overrides this
    fixture (`def organisation(demo): return demo`)."""
    return org


@pytest.fixture
def editor(organisation) -> Client:
    return client_for(organisation, "editor")


@pytest.fixture
def viewer(organisation) -> Client:
    return client_for(organisation, "viewer")


@pytest.fixture
def reader(organisation):
    """An API client with a read token of the organisation."""
    return token_client(organisation, "read")


@pytest.fixture
def writer(organisation):
    """An API client with a write token of the organisation."""
    return token_client(organisation, "write")


@pytest.fixture
def unthrottled(settings):
    """No limit on the API's requests per token: schemathesis makes more than the default
    600 a minute (the limit itself is tested in tests/test_production.py; SCIM's own, larger
    budget in tests/test_scim_throttle.py)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "1000000/min"}
    }
