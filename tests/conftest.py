import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings
from whitenoise.middleware import WhiteNoiseMiddleware

from orgdesign.analysis.kept import forget_all
from teams.models import Organisation
from tests.api_helpers import token_client
from tests.directory_fakes import FakeGraph, FakeOkta, certificate_authority
from tests.factories import OrganisationFactory, UserFactory, client_for
from tests.snapshots import Snapshot

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


# What decides the static files whitenoise finds, and the headers it gives them.
_WHITENOISE_INPUTS = (
    "DEBUG", "STATIC_URL", "STATIC_ROOT", "STATICFILES_DIRS", "STATICFILES_FINDERS",
    "INSTALLED_APPS", "STORAGES", "FORCE_SCRIPT_NAME", "WHITENOISE_AUTOREFRESH",
    "WHITENOISE_MAX_AGE", "WHITENOISE_ALLOW_ALL_ORIGINS", "WHITENOISE_CHARSET",
    "WHITENOISE_MIMETYPES", "WHITENOISE_ADD_HEADERS_FUNCTION", "WHITENOISE_INDEX_FILE",
    "WHITENOISE_IMMUTABLE_FILE_TEST", "WHITENOISE_USE_FINDERS", "WHITENOISE_STATIC_PREFIX",
    "WHITENOISE_ROOT",
)


@pytest.fixture(autouse=True, scope="session")
def _static_files_found_once():
    """Every test client loads the middleware anew on its first request, and whitenoise's
    middleware then lists and stats every static file of every app (no `collectstatic` in
    tests): a third of the time of a test that makes a few requests. A web process does it
    once; here it is done once per set of settings that decide it, and each new middleware
    gets the same files."""
    original = WhiteNoiseMiddleware.add_files_from_finders
    found: dict[str, dict] = {}

    def add_files_from_finders(self):
        key = repr([getattr(django_settings, name, None) for name in _WHITENOISE_INPUTS])
        if key not in found:
            before = dict(self.files)
            original(self)
            found[key] = {url: file for url, file in self.files.items()
                          if before.get(url) is not file}
        self.files.update(found[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders
    yield
    WhiteNoiseMiddleware.add_files_from_finders = original


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


def _seed_demo() -> None:
    call_command("seed_demo", verbosity=0)


@pytest.fixture(scope="session")
def _demo_snapshot(django_db_setup, django_db_blocker) -> Snapshot | None:
    """What `seed_demo` writes, taken once per test process (see tests/snapshots.py): seeding
    through the services takes about half a second, and hundreds of tests ask for the demo."""
    with django_db_blocker.unblock():
        snapshot = Snapshot.take(_seed_demo)
    # The seed may have kept analyses under versions the restored demo will not have.
    forget_all()
    return snapshot


@pytest.fixture(scope="session")
def _demo_debug_snapshot(django_db_setup, django_db_blocker) -> Snapshot | None:
    """The same with DEBUG on, as `make run` seeds it: with the demo login (the browser
    tests log in with it)."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True):
        snapshot = Snapshot.take(_seed_demo)
    forget_all()
    return snapshot


@pytest.fixture
def demo_restorer(request, settings):
    """Puts the demo in the database as `seed_demo` would under the test's settings, from the
    snapshot taken with the same DEBUG (the one taken with DEBUG on only when a test asks)."""

    def restore() -> Organisation:
        snapshot = request.getfixturevalue(
            "_demo_debug_snapshot" if settings.DEBUG else "_demo_snapshot"
        )
        # `seed_demo` does more when a login named "demo" exists (it grants it the demo) or
        # the demo does (it replaces it), so it runs for real then, as it does when a row
        # already holds one of the snapshot's ids.
        if (
            snapshot is None
            or get_user_model().objects.filter(username="demo").exists()
            or Organisation.objects.filter(slug="demo").exists()
            or not snapshot.restore()
        ):
            _seed_demo()
        return Organisation.objects.get(slug="demo")

    return restore


@pytest.fixture
def demo(db, demo_restorer) -> Organisation:
    """The demo organisation of `seed_demo`, with its deliberate problems."""
    return demo_restorer()


@pytest.fixture
def organisation(request) -> Organisation:
    """The organisation the clients below act in: the demo in a module marked `in_demo`
    (`pytestmark = [..., pytest.mark.in_demo]`), else `org`. A module may still override this
    fixture with an organisation of its own."""
    if request.node.get_closest_marker("in_demo"):
        return request.getfixturevalue("demo")
    return request.getfixturevalue("org")


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


# Local fakes of the directories (tests/directory_fakes.py), over https with a certificate
# of a local authority that `requests` (and so msal) trusts through REQUESTS_CA_BUNDLE.
@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    return certificate_authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def trusted(tls, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls[1])


@pytest.fixture
def graph(tls, trusted):
    fake = FakeGraph(context=tls[0]).start()
    yield fake
    fake.stop()


@pytest.fixture
def okta(tls, trusted):
    fake = FakeOkta(context=tls[0]).start()
    yield fake
    fake.stop()
