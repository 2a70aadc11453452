"""The connectors page (admins only), a pull run from it as a job, the schedule, and the
secret that never comes back out: not in a page, an API answer, an export, a log line or a
history entry."""

import logging

import pytest
from django.core.management import call_command
from django.db import connection

from orgdesign.jobs.models import Job
from teams.directory.connectors import connector_save, due_connectors
from teams.models import DirectoryConnector, DirectoryRun, Person, PullSchedule
from tests.api_helpers import token_client
from tests.factories import OrganisationFactory, client_for
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganisationFactory(slug="acme")


def okta_team(okta):
    okta.add("00u1", displayName="Amara Okafor", email="amara@example.com",
             login="amara@example.com", title="Head of ML", employeeNumber="E1")
    okta.add("00u2", displayName="Priya Shah", email="priya@example.com",
             login="priya@example.com", employeeNumber="E2", managerId="00u1")


def save_okta(client, okta, **extra):
    return client.post("/orgs/acme/connectors/", {
        "kind": "okta", "url": okta.url, "secret": okta.token, "schedule": "manual", **extra})


@pytest.mark.parametrize("role,status", [("viewer", 403), ("editor", 403), ("admin", 200)])
def test_only_admins_reach_the_page(org, role, status):
    assert client_for(org, role).get("/orgs/acme/connectors/").status_code == status


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_only_admins_save_or_run(org, okta, role):
    client = client_for(org, role)
    assert save_okta(client, okta).status_code == 403
    connector_save(organisation=org, kind="okta", url=okta.url, secret=okta.token)
    assert client.post("/orgs/acme/connectors/okta/run/").status_code == 403
    assert client.post("/orgs/acme/connectors/okta/delete/").status_code == 403
    assert not Job.objects.exists() and DirectoryConnector.objects.count() == 1


def test_a_scenario_has_no_connectors(org):
    scenario = OrganisationFactory(slug="acme-plan", scenario_of=org, home=org)
    client = client_for(org, "admin")
    assert client.get(f"/orgs/{scenario.slug}/connectors/").status_code == 404


def test_save_then_first_run_from_the_page_is_a_preview(org, okta):
    okta_team(okta)
    admin = client_for(org, "admin")
    response = save_okta(admin, okta)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = admin.get("/orgs/acme/connectors/").content.decode()
    assert "Connected" not in page or "connected" in page
    assert "first pull is a preview" in page
    # Asked to apply, the first run is still a preview: nothing written.
    response = admin.post("/orgs/acme/connectors/okta/run/")
    job = Job.objects.get(kind="directory_pull")
    assert response["Location"] == f"/orgs/acme/jobs/{job.uid}/"
    run_worker()
    job.refresh_from_db()
    assert job.state == "done", job.error
    assert job.result["preview"] is True and job.result["created"] == 2
    assert not Person.objects.filter(organisation=org).exists()
    job_page = admin.get(f"/orgs/acme/jobs/{job.uid}/").content.decode()
    assert "A preview: nothing was written" in job_page
    page = admin.get(f"/orgs/acme/connectors/?run={job.result['run']}").content.decode()
    assert "What the pull would change" in page and "Priya Shah" in page
    # Now it applies.
    admin.post("/orgs/acme/connectors/okta/run/")
    run_worker()
    assert Person.objects.filter(organisation=org).count() == 2
    assert Person.objects.get(external_id="E2").manager.external_id == "E1"


def test_a_failed_run_from_the_page_says_why(org, okta):
    okta_team(okta)
    admin = client_for(org, "admin")
    save_okta(admin, okta)
    okta.token = "revoked"
    admin.post("/orgs/acme/connectors/okta/run/")
    run_worker()
    job = Job.objects.get(kind="directory_pull")
    assert job.state == "failed" and "E0000011" in job.error
    run = DirectoryRun.objects.get()
    assert run.state == "failed"  # kept, although the job failed
    page = admin.get("/orgs/acme/connectors/").content.decode()
    assert "Invalid token provided" in page


def test_saving_without_the_secrets_key_is_refused_with_a_clear_message(org, okta, settings):
    settings.ORGDESIGN_SECRETS_KEY = ""
    admin = client_for(org, "admin")
    response = save_okta(admin, okta)
    assert response.status_code == 400
    assert "ORGDESIGN_SECRETS_KEY" in response.content.decode()
    assert not DirectoryConnector.objects.exists()


def test_plain_http_is_refused_unless_allowed(org, settings):
    settings.ORGDESIGN_DIRECTORY_ALLOW_HTTP = False
    admin = client_for(org, "admin")
    response = admin.post("/orgs/acme/connectors/", {
        "kind": "okta", "url": "http://acme.okta.test", "secret": "t", "schedule": "manual"})
    assert response.status_code == 400 and "https://" in response.content.decode()
    settings.ORGDESIGN_DIRECTORY_ALLOW_HTTP = True
    response = admin.post("/orgs/acme/connectors/", {
        "kind": "okta", "url": "http://acme.okta.test", "secret": "t", "schedule": "manual"})
    assert response.status_code == 302


def test_a_bad_mapping_is_shown_by_its_field_and_nothing_saved(org, okta):
    admin = client_for(org, "admin")
    response = save_okta(admin, okta, map_external_id="profile.employee number!")
    assert response.status_code == 400
    assert "is not an attribute name" in response.content.decode()
    assert not DirectoryConnector.objects.exists()


def test_the_mapping_is_kept_and_changing_it_reads_everything_again(org, okta):
    okta_team(okta)
    connector = connector_save(organisation=org, kind="okta", url=okta.url, secret=okta.token)
    from teams.directory.pull import pull_connector
    pull_connector(connector=connector)
    assert DirectoryConnector.objects.get().cursor
    admin = client_for(org, "admin")
    assert save_okta(admin, okta, map_external_id="id").status_code == 302
    connector = DirectoryConnector.objects.get()
    assert connector.mapping == {"external_id": "id"} and connector.cursor == ""
    assert connector.secret == okta.token  # an empty secret field keeps the saved one


def test_the_schedule_runs_what_is_due(org, okta, capsys):
    okta_team(okta)
    connector = connector_save(organisation=org, kind="okta", url=okta.url, secret=okta.token,
                               schedule=PullSchedule.HOURLY)
    manual = connector_save(organisation=OrganisationFactory(slug="other"), kind="okta",
                            url=okta.url, secret=okta.token)
    assert list(due_connectors()) == [connector]
    call_command("run_schedule", "--once")
    assert "acme (Okta): 2 created" in capsys.readouterr().out
    assert Person.objects.filter(organisation=org).count() == 2
    assert not DirectoryRun.objects.filter(connector=manual).exists()
    # Not due again within the hour.
    assert list(due_connectors()) == []
    call_command("run_schedule", "--once")
    assert DirectoryRun.objects.filter(connector=connector).count() == 1


def test_the_secret_never_comes_back_out(org, graph, caplog, settings):
    """Stored encrypted; then not in the connectors page, the job page, the people and
    person pages, History, people.csv, the API, any log line (DEBUG and up, msal's and
    urllib3's included) nor any history entry, after a good run and a failed one."""
    secret = graph.secret
    caplog.set_level(logging.DEBUG)
    admin = client_for(org, "admin")
    response = admin.post("/orgs/acme/connectors/", {
        "kind": "entra", "url": graph.url, "login_url": graph.url, "tenant_id": graph.tenant,
        "client_id": graph.client_id, "secret": secret, "schedule": "manual"})
    assert response.status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM teams_directoryconnector")
        stored = cursor.fetchone()[0]
    assert secret not in stored and stored.startswith("gAAAA")  # a Fernet token
    graph.add("g1", displayName="Amara Okafor", mail="amara@example.com", employeeId="E1")
    admin.post("/orgs/acme/connectors/entra/run/")  # the first: a preview
    run_worker()
    admin.post("/orgs/acme/connectors/entra/run/")
    run_worker()
    person = Person.objects.get(organisation=org)
    graph.secret = "rotated"  # the next run fails on the credentials
    admin.post("/orgs/acme/connectors/entra/run/")
    run_worker()
    assert DirectoryRun.objects.filter(state="failed").exists()
    seen = []
    for job in Job.objects.all():
        seen.append(admin.get(f"/orgs/acme/jobs/{job.uid}/").content.decode())
        seen.append(repr(job.params) + repr(job.result) + job.error)
    for url in ("/orgs/acme/connectors/", "/orgs/acme/people/", f"/orgs/acme/people/{person.pk}/",
                "/orgs/acme/history/", "/orgs/acme/export/people.csv", "/orgs/acme/",
                "/orgs/acme/connectors/?run=" + str(DirectoryRun.objects.first().uid)):
        response = admin.get(url)
        assert response.status_code == 200, url
        seen.append(b"".join(response).decode() if response.streaming
                    else response.content.decode())
    api = token_client(org, "admin")
    for url in ("/api/v1/orgs/acme/people/", f"/api/v1/orgs/acme/people/{person.pk}/"):
        seen.append(api.get(url).content.decode())
    seen.extend(record.getMessage() + repr(record.args) for record in caplog.records)
    seen.extend(repr(entry.__dict__) for entry in Person.history.all())
    seen.extend(repr(run.__dict__) for run in DirectoryRun.objects.all())
    assert any("Amara Okafor" in text for text in seen)  # the walk saw real pages
    leaks = [text[:200] for text in seen if secret in text]
    assert leaks == []


def test_the_page_runs_a_fixed_number_of_queries(org, okta):
    from django.test.utils import CaptureQueriesContext

    from teams.directory.pull import pull_connector

    okta_team(okta)
    connector = connector_save(organisation=org, kind="okta", url=okta.url, secret=okta.token)
    admin = client_for(org, "admin")
    counts = []
    for _ in range(2):
        for _ in range(3):
            pull_connector(connector=connector, preview=True)
        with CaptureQueriesContext(connection) as captured:
            assert admin.get("/orgs/acme/connectors/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] > 0
