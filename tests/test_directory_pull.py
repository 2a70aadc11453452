"""Directory connectors against local fakes of Microsoft Graph and Okta (tests/directory_fakes.py):
first run, delta run, deactivation, a manager move that would close a loop, a throttled run
that resumes, bad credentials, an expired token, a page that does not parse, a group."""

import datetime
import json

import pytest
from django.core.management import call_command

from teams.directory.connectors import connector_save
from teams.directory.pull import pull_connector
from teams.models import DirectoryIdentity, Door, Person, RunState
from tests.directory_fakes import FakeGraph
from tests.factories import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganisationFactory(slug="acme")


class Waits(list):
    def __call__(self, seconds):
        self.append(seconds)


def entra(org, graph, **options):
    return connector_save(organisation=org, kind="entra", url=graph.url, login_url=graph.url,
                          tenant_id=graph.tenant, client_id=graph.client_id,
                          secret=graph.secret, **options)


def okta_connector(org, okta, **options):
    return connector_save(organisation=org, kind="okta", url=okta.url, secret=okta.token,
                          **options)


def graph_team(graph):
    graph.add("g-head", displayName="Amara Okafor", mail="amara@example.com",
              userPrincipalName="amara@example.com", jobTitle="Head of ML",
              department="ML", employeeId="E1", employeeType="Employee")
    graph.add("g-lead", displayName="Priya Shah", mail="priya@example.com",
              userPrincipalName="priya@example.com", jobTitle="Platform lead",
              department="ML", employeeId="E2", employeeType="Employee", manager="g-head")
    graph.add("g-eng", displayName="Dana Kim", mail="dana@example.com",
              userPrincipalName="dana@example.com", jobTitle="ML engineer",
              department="ML", employeeId="E3", employeeType="Contractor", manager="g-lead")


def people(org):
    return {p.external_id: p for p in Person.objects.filter(organisation=org)
            .select_related("manager")}


def pull(connector, **options):
    connector.refresh_from_db()
    return pull_connector(connector=connector, **options)


class TestEntra:
    def test_first_run_creates_people_and_reporting_lines(self, org, graph):
        graph.page_size = 2  # three users: two pages, then the delta link
        graph_team(graph)
        run = pull(entra(org, graph))
        assert run.state == RunState.DONE, run.error
        assert run.counts == {"created": 3, "updated": 0, "deactivated": 0, "unchanged": 0,
                              "errors": []}
        found = people(org)
        assert found["E3"].manager.external_id == "E2"
        assert found["E2"].manager.external_id == "E1"
        assert found["E3"].worker_type == "contractor"
        assert found["E3"].title == "ML engineer"
        assert found["E1"].updated_via == Door.CONNECTOR
        assert sum("users/delta" in r for r in graph.requests) == 2
        connector = org.connectors.get()
        assert "$deltatoken=" in connector.cursor

    def test_delta_run_moves_a_manager_and_deactivates_a_removed_user(self, org, graph):
        graph_team(graph)
        connector = entra(org, graph)
        pull(connector)
        graph.change("g-eng", manager="g-head")
        graph.change("g-lead", jobTitle="Director, ML platform")
        graph.add("g-new", displayName="Mei Chen", mail="mei@example.com",
                  userPrincipalName="mei@example.com", employeeId="E4", manager="g-lead")
        run = pull(connector)
        assert run.state == RunState.DONE, run.error
        assert run.counts["created"] == 1 and run.counts["updated"] == 2
        found = people(org)
        assert found["E3"].manager.external_id == "E1"
        assert found["E2"].title == "Director, ML platform"
        # A delta round carries only what changed: the rest is kept.
        assert found["E2"].email == "priya@example.com"
        # Only changed users were asked for, from the delta link.
        assert "$deltatoken=" in graph.requests[-1]
        graph.remove("g-eng")
        graph.change("g-lead", manager=None)  # manager@delta: [] clears it
        run = pull(connector)
        assert run.counts["deactivated"] == 1
        found = people(org)
        assert found["E3"].active is False and found["E2"].manager is None

    def test_guests_of_other_tenants_are_left_out(self, org, graph):
        graph_team(graph)
        graph.add("g-guest", displayName="Vendor Guest", mail="guest@vendor.example",
                  userPrincipalName="guest_vendor.example#EXT#@contoso.onmicrosoft.com",
                  userType="Guest")
        run = pull(entra(org, graph))
        assert run.counts["created"] == 3
        assert "Vendor Guest" not in {p.name for p in people(org).values()}

    def test_a_pull_never_deactivates_people_from_other_doors(self, org, graph):
        other = PersonFactory(organisation=org, external_id="CSV-9", name="From a CSV")
        graph_team(graph)
        connector = entra(org, graph)
        pull(connector)
        graph.remove("g-eng")
        run = pull(connector)
        assert run.counts["deactivated"] == 1
        other.refresh_from_db()
        assert other.active is True

    def test_a_manager_move_closing_a_loop_is_refused_with_the_chain(self, org, graph):
        graph_team(graph)
        connector = entra(org, graph)
        pull(connector)
        cursor = org.connectors.get().cursor
        graph.change("g-head", manager="g-eng")
        run = pull(connector)
        assert run.state == RunState.FAILED
        errors = json.dumps(run.counts["errors"])
        assert "loop" in errors and "Amara Okafor" in errors and "Dana Kim" in errors
        assert people(org)["E1"].manager is None
        # Nothing written: the next run reads the same changes again.
        assert org.connectors.get().cursor == cursor

    def test_a_throttled_run_waits_as_asked_and_resumes(self, org, graph):
        graph.page_size = 2
        graph_team(graph)
        graph.throttle(2, **{"Retry-After": "7"})
        waits = Waits()
        run = pull(entra(org, graph), sleep=waits)
        assert run.state == RunState.DONE, run.error
        assert waits == [7.0, 7.0] and run.waited == 14.0
        assert run.counts["created"] == 3

    def test_a_throttle_longer_than_allowed_fails_the_run_and_writes_nothing(
            self, org, graph, settings):
        settings.ORGDESIGN_DIRECTORY_MAX_WAIT = 60
        graph_team(graph)
        graph.throttle(1, **{"Retry-After": "3600"})
        run = pull(entra(org, graph), sleep=Waits())
        assert run.state == RunState.FAILED and "3600 s" in run.error
        assert not Person.objects.filter(organisation=org).exists()

    def test_bad_credentials_fail_with_the_reason(self, org, graph):
        graph_team(graph)
        connector = entra(org, graph)
        graph.secret = "rotated-in-the-portal"
        run = pull(connector)
        assert run.state == RunState.FAILED
        assert "refused the credentials" in run.error and "AADSTS7000215" in run.error
        assert not Person.objects.filter(organisation=org).exists()

    def test_an_expired_token_is_renewed_once(self, org, graph):
        graph.page_size = 2
        graph_team(graph)
        connector = entra(org, graph)
        calls = []

        def progress(done, total):
            if not calls:
                graph.expire_tokens()
            calls.append(done)

        run = pull(connector, progress=progress)
        assert run.state == RunState.DONE, run.error
        assert len(graph.tokens) == 2
        assert run.counts["created"] == 3

    def test_a_page_that_does_not_parse_fails_the_run(self, org, graph):
        graph_team(graph)
        graph.broken_pages = 1
        run = pull(entra(org, graph))
        assert run.state == RunState.FAILED and "did not parse" in run.error
        assert not Person.objects.filter(organisation=org).exists()

    def test_a_forgotten_delta_link_reads_everything_again(self, org, graph):
        graph_team(graph)
        connector = entra(org, graph)
        pull(connector)
        graph.forgotten = True
        run = pull(connector)
        assert run.state == RunState.DONE, run.error
        assert run.counts["unchanged"] == 3

    def test_a_group_limits_the_pull_and_leaving_it_deactivates(self, org, graph):
        graph_team(graph)
        graph.groups["ml"] = {"g-lead", "g-eng"}
        connector = entra(org, graph, group="ml")
        run = pull(connector)
        assert run.state == RunState.DONE, run.error
        found = people(org)
        assert set(found) == {"E2", "E3"}
        # The head is outside the group: Priya's manager is kept (none), with a note.
        assert found["E2"].manager is None and run.notes
        graph.groups["ml"] = {"g-lead", "g-head"}
        run = pull(connector)
        found = people(org)
        assert found["E3"].active is False
        # Amara joined the group without changing: read on her own.
        assert found["E1"].name == "Amara Okafor"
        assert run.counts["created"] == 1 and run.counts["deactivated"] == 1

    def test_preview_writes_nothing_and_lists_who_would_change(self, org, graph):
        graph_team(graph)
        connector = entra(org, graph)
        run = pull(connector, preview=True)
        assert run.state == RunState.DONE and run.preview
        assert run.counts["created"] == 3
        assert {c["name"] for c in run.changes} == {"Amara Okafor", "Priya Shah", "Dana Kim"}
        assert not Person.objects.filter(organisation=org).exists()
        assert not DirectoryIdentity.objects.exists()
        assert org.connectors.get().cursor == ""

    def test_plain_http_uses_the_same_grant(self, org, settings):
        settings.ORGDESIGN_DIRECTORY_ALLOW_HTTP = True
        fake = FakeGraph().start()
        try:
            graph_team(fake)
            run = pull(entra(org, fake))
            assert run.state == RunState.DONE, run.error
            assert run.counts["created"] == 3
        finally:
            fake.stop()


def okta_team(okta):
    okta.add("00u1", firstName="Amara", lastName="Okafor", email="amara@example.com",
             login="amara@example.com", title="Head of ML", employeeNumber="E1")
    okta.add("00u2", displayName="Priya Shah", email="priya@example.com",
             login="priya@example.com", employeeNumber="E2", managerId="E1")
    okta.add("00u3", displayName="Dana Kim", email="dana@example.com",
             login="dana@example.com", employeeNumber="E3", managerId="priya@example.com",
             userType="Contractor")


class TestOkta:
    def test_first_run_pages_by_link_header(self, org, okta):
        okta_team(okta)
        okta.add("00u4", displayName="Gone Already", login="gone@example.com",
                 employeeNumber="E4", status="DEPROVISIONED")
        connector = okta_connector(org, okta)
        # Three users a page of two: follow rel="next".
        from teams.directory import clients
        clients.OKTA_PAGE, saved = 2, clients.OKTA_PAGE
        try:
            run = pull(connector)
        finally:
            clients.OKTA_PAGE = saved
        assert run.state == RunState.DONE, run.error
        assert run.counts["created"] == 3
        found = people(org)
        assert "E4" not in found
        assert found["E1"].name == "Amara Okafor"  # from first and last names
        assert found["E2"].manager.external_id == "E1"  # by employee number
        assert found["E3"].manager.external_id == "E2"  # by login
        assert found["E3"].worker_type == "contractor"
        assert sum("/api/v1/users" in r for r in okta.requests) == 2

    def test_later_runs_search_last_updated_and_deactivate_the_deprovisioned(self, org, okta):
        okta_team(okta)
        connector = okta_connector(org, okta)
        pull(connector)
        okta.change("00u3", title="Senior ML engineer")
        okta.deprovision("00u2")
        run = pull(connector)
        assert run.state == RunState.DONE, run.error
        assert 'search=lastUpdated+gt' in okta.requests[-1]
        # Asked again from five minutes before the newest change seen (Okta's search lags
        # behind its writes): Amara, read again, is unchanged.
        assert run.counts == {"created": 0, "updated": 1, "deactivated": 1, "unchanged": 1,
                              "errors": []}
        found = people(org)
        assert found["E2"].active is False and found["E3"].title == "Senior ML engineer"

    def test_a_change_the_search_index_had_not_seen_is_found_next_time(self, org, okta):
        okta_team(okta)
        connector = okta_connector(org, okta)
        pull(connector)
        cursor = org.connectors.get().cursor
        # Written before the run's newest change, but not yet searchable when it ran.
        okta.add("00u9", displayName="Late Lee", login="lee@example.com", employeeNumber="E9")
        seen = datetime.datetime.strptime(cursor, "%Y-%m-%dT%H:%M:%S.%fZ")
        okta.users["00u9"]["lastUpdated"] = (
            seen - datetime.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        run = pull(connector)
        assert run.counts["created"] == 1
        assert people(org)["E9"].name == "Late Lee"

    def test_throttled_with_rate_limit_reset(self, org, okta):
        import time
        okta_team(okta)
        okta.throttle(1, **{"X-Rate-Limit-Reset": str(int(time.time()) + 2)})
        waits = Waits()
        run = pull(okta_connector(org, okta), sleep=waits)
        assert run.state == RunState.DONE, run.error
        assert len(waits) == 1 and 0 < waits[0] <= 2

    def test_bad_token(self, org, okta):
        okta_team(okta)
        connector = okta_connector(org, okta)
        okta.token = "revoked"
        run = pull(connector)
        assert run.state == RunState.FAILED
        assert "E0000011" in run.error and "okta.users.read" in run.error


class TestCommands:
    def test_connect_and_pull_print_the_counts(self, org, okta, monkeypatch, capsys):
        okta_team(okta)
        monkeypatch.setenv("OKTA_TOKEN", okta.token)
        call_command("connect_directory", "acme", "--kind", "okta", "--url", okta.url,
                     "--secret-env", "OKTA_TOKEN", "--schedule", "hourly")
        call_command("pull_directory", "acme", "--preview")
        last = capsys.readouterr().out.strip().splitlines()[-1]
        assert json.loads(last) == {"created": 3, "updated": 0, "deactivated": 0,
                                    "unchanged": 0, "errors": []}
        assert not Person.objects.filter(organisation=org).exists()
        call_command("pull_directory", "acme")
        assert Person.objects.filter(organisation=org).count() == 3

    def test_pull_directory_without_a_slug_runs_the_due_ones(self, org, okta, capsys):
        okta_team(okta)
        connector_save(organisation=org, kind="okta", url=okta.url, secret=okta.token,
                       schedule="daily")
        connector_save(organisation=OrganisationFactory(slug="manual"), kind="okta",
                       url=okta.url, secret=okta.token)
        call_command("pull_directory")
        assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["created"] == 3
        assert Person.objects.filter(organisation=org).count() == 3
        assert not Person.objects.filter(organisation__slug="manual").exists()
        call_command("pull_directory")  # not due again today
        assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["created"] == 0
        assert org.connectors.get().runs.count() == 1

    def test_old_runs_are_pruned(self, org, okta, monkeypatch):
        from teams.directory import pull as pull_module
        monkeypatch.setattr(pull_module, "RUNS_KEPT", 2)
        okta_team(okta)
        connector = okta_connector(org, okta)
        for _ in range(4):
            pull(connector, preview=True)
        assert connector.runs.count() == 2

    def test_saving_without_the_secrets_key_is_refused(self, org, okta, settings, monkeypatch):
        from django.core.management.base import CommandError
        settings.ORGDESIGN_SECRETS_KEY = ""
        monkeypatch.setenv("OKTA_TOKEN", okta.token)
        with pytest.raises(CommandError, match="ORGDESIGN_SECRETS_KEY"):
            call_command("connect_directory", "acme", "--kind", "okta", "--url", okta.url,
                         "--secret-env", "OKTA_TOKEN")
        assert not org.connectors.exists()
