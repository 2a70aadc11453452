"""Health over time (issue 31): the figures of a design (pure), the design read back from
history at a moment (`?as_of=`), snapshots daily and at promotions and merges, the back-fill,
the health page with its charts, tables and CSV, and the API's trend."""

import csv
import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from orgdesign.analysis.capacity import capacity_of
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.health import health_of, layers_of, spans_of
from orgdesign.analysis.kept import analysis_of, forget_all
from orgdesign.analysis.loader import load_as_of, load_org_data
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.structure import classify_structure
from orgdesign.health.services import (
    figures_of,
    midnight,
    snapshot_daily,
    snapshot_event,
)
from orgdesign.history.services import KINDS
from orgdesign.jobs.models import Job, JobKind
from orgdesign.jobs.runner import job_start
from orgdesign.scenarios.services import scenario_create, scenario_promote
from pipelines import services as pipeline_services
from pipelines.models import Pipeline
from teams import services
from teams.actor import Actor
from teams.models import (
    AccessRole,
    Door,
    HealthSnapshot,
    MergeApproval,
    Organisation,
    Person,
    Role,
    SnapshotKind,
    Team,
    TeamKind,
)
from tests.designs import sound_design
from tests.factories import (
    EngagementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    PipelineFactory,
    TeamFactory,
    client_for,
)
from tests.worker import run_worker

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
ACTOR = Actor(via=Door.BROWSER)


# The figures of a design, pure ------------------------------------------------------------

def test_the_figures_of_a_sound_design():
    design = sound_design()
    index = OrgIndex(design.org.data())
    findings = compute_findings(design.org.data())
    health = health_of(index, findings, classify_structure(index.data, index),
                       capacity_of(index))
    # Hana (the head) manages the PM, four leads and four members: one manager of nine.
    assert spans_of(index) == {"9": 1}
    assert health.spans == {"9": 1}
    # The head at layer 0, everyone else one step below; Cleo is above the ML org.
    assert layers_of(index) == {"0": 1, "1": 9}
    assert health.errors == 0
    assert health.by_code == {}
    assert health.headcount == 8 and health.fte == 8.0
    assert health.by_kind["modeling"] == {"headcount": 2, "fte": 2.0}
    assert set(health.by_kind) == {"data_ops", "infrastructure", "modeling", "deployment"}


def test_spans_count_active_reports_of_the_ml_orgs_managers_only():
    design = sound_design(span_max=3)
    org = design.org
    # Ines gets two reports, one of whom has left; Cleo's span is outside the ML org.
    org.person("Ivy", manager=design.leads[TeamKind.INFRASTRUCTURE])
    org.person("Gone", manager=design.leads[TeamKind.INFRASTRUCTURE], active=False)
    org.person("Otto", manager=design.ceo)
    index = OrgIndex(org.data())
    findings = compute_findings(org.data())
    health = health_of(index, findings, classify_structure(index.data, index),
                       capacity_of(index))
    assert health.spans == {"1": 1, "9": 1}
    assert health.layers == {"0": 1, "1": 9, "2": 1}
    assert health.by_code["manager.span_wide"] == 1
    assert health.by_code["manager.span_narrow"] == 1
    assert health.warnings == sum(
        count for code, count in health.by_code.items()
        if code in ("manager.span_wide", "person.no_manager"))


# Days simulated: everything recorded so far moved back in time -----------------------------

def age(organisation: Organisation, delta: datetime.timedelta) -> None:
    """Move the design's whole past (its history and its creation) back by `delta`, as if
    it had happened that long ago."""
    for model in KINDS.values():
        model.history.filter(history_org=organisation.pk).update(
            history_date=F("history_date") - delta)
    Organisation.objects.filter(pk=organisation.pk).update(
        created_at=F("created_at") - delta)
    # Oldest first: PostgreSQL checks the one daily snapshot a day row by row.
    for snapshot in HealthSnapshot.objects.filter(organisation=organisation).order_by("at"):
        HealthSnapshot.objects.filter(pk=snapshot.pk).update(at=snapshot.at - delta)
    organisation.refresh_from_db()
    forget_all()


def rows(data) -> dict:
    """A design's rows as comparable tuples, table by table."""
    return {
        "organisation": (data.organisation.ml_head_id, data.organisation.span_max,
                         data.organisation.layers_max),
        "people": sorted((p.id, p.name, p.role, p.manager_id, p.active) for p in data.people),
        "teams": sorted((t.id, t.name, t.kind, t.lead_id) for t in data.teams),
        "memberships": sorted((m.id, m.person_id, m.team_id, m.allocation)
                              for m in data.memberships),
        "pipelines": sorted((p.id, p.name, p.pm_owner_id, p.lifecycle) for p in data.pipelines),
        "engagements": sorted((e.id, e.pipeline_id, e.team_id, e.role)
                              for e in data.engagements),
        "positions": sorted((p.id, p.team_id, p.fte) for p in data.positions),
    }


def build(org: Organisation) -> dict:
    """A small ML org: a head, a PM, a modeling team of two on one pipeline."""
    head = PersonFactory(organisation=org, name="Hana", role=Role.EXECUTIVE)
    services.organisation_update(organisation=org, ml_head=head, actor=ACTOR)
    pm = PersonFactory(organisation=org, name="Paula", role=Role.PRODUCT_MANAGER, manager=head)
    lead = PersonFactory(organisation=org, name="Mona", role=Role.TECH_LEAD, manager=head)
    max_ = PersonFactory(organisation=org, name="Max", role=Role.SCIENTIST, manager=lead)
    team = TeamFactory(organisation=org, name="Modeling", kind=TeamKind.MODELING, lead=lead)
    MembershipFactory(team=team, person=lead)
    MembershipFactory(team=team, person=max_)
    pipeline = PipelineFactory(organisation=org, name="Ranking", pm_owner=pm)
    EngagementFactory(pipeline=pipeline, team=team, role="owner")
    return {"head": head, "pm": pm, "lead": lead, "max": max_, "team": team,
            "pipeline": pipeline}


def fresh(model, pk):
    return model.objects.get(pk=pk)


def changes(org: Organisation, objects: dict) -> list:
    """Four changes of the design, each a different kind of write, through the services."""
    head, pipeline = objects["head"], objects["pipeline"]

    def new_team():
        ines = services.person_create(organisation=org, name="Ines", manager=head,
                                      actor=ACTOR)
        infra = services.team_create(organisation=org, name="Serving Grid",
                                     kind=TeamKind.INFRASTRUCTURE, lead=ines, actor=ACTOR)
        services.membership_set(person=ines, team=infra, allocation=100, actor=ACTOR)
        pipeline_services.engagement_set(pipeline=pipeline, team=infra, role="owner",
                                         actor=ACTOR)

    def moved():
        services.person_update(person=fresh(Person, objects["max"].pk), manager=head,
                               actor=ACTOR)
        services.membership_set(person=fresh(Person, objects["max"].pk),
                                team=objects["team"], allocation=50, actor=ACTOR)

    def left():
        services.person_update(person=fresh(Person, objects["pm"].pk), active=False,
                               actor=ACTOR)
        services.organisation_update(organisation=fresh(Organisation, org.pk), span_max=2,
                                     actor=ACTOR)

    def removed():
        infra = Team.objects.get(organisation=org, name="Serving Grid")
        pipeline_services.engagement_set(pipeline=fresh(Pipeline, pipeline.pk), team=infra,
                                         role=None, actor=ACTOR)
        services.team_delete(team=infra, actor=ACTOR)

    return [new_team, moved, left, removed]


class Lived:
    """A design built six days ago, changed three, two and one day ago and just now: the
    rows and figures of each state, and when each began."""

    def __init__(self):
        self.org = OrganisationFactory(slug="acme", name="Acme")
        objects = build(self.org)
        self.states = [self.state()]
        began = [timezone.now()]
        for back, change in zip((3, 1, 1, 1), changes(self.org, objects), strict=True):
            age(self.org, back * DAY)
            began = [moment - back * DAY for moment in began]
            change()
            began.append(timezone.now())
            self.states.append(self.state())
        self.began = began
        self.org = fresh(Organisation, self.org.pk)

    def state(self):
        org = fresh(Organisation, self.org.pk)
        return rows(load_org_data(org)), figures_of(analysis_of(org))

    def index_at(self, moment) -> int:
        return max(i for i, began in enumerate(self.began) if began <= moment)


@pytest.fixture
def lived():
    return Lived()


def test_the_design_reads_back_as_it_was_at_each_moment(lived):
    assert len({repr(state[0]) for state in lived.states}) == 5  # every change changed it
    for i, began in enumerate(lived.began):
        moment = min(began + DAY / 2, timezone.now())
        assert rows(load_as_of(lived.org, moment)) == lived.states[i][0], i
    # Before the design existed, there is none.
    assert load_as_of(lived.org, lived.began[0] - DAY) is None


def test_the_design_reads_back_in_a_fixed_number_of_queries(lived,
                                                            django_assert_num_queries):
    with django_assert_num_queries(13):
        load_as_of(lived.org, lived.began[2] + DAY / 2)


def test_a_backfill_records_what_daily_snapshots_would_have(lived):
    taken = snapshot_daily(lived.org)
    assert taken.created
    daily = list(HealthSnapshot.objects.filter(organisation=lived.org, kind="daily"))
    # Six midnights after the design was built: five back-filled and today's.
    assert taken.backfilled == 6 - 1 == len(daily) - 1
    assert all(snapshot.backfilled for snapshot in daily[:-1])
    assert not daily[-1].backfilled
    for snapshot in daily:
        assert snapshot.at == midnight(snapshot.at)
        assert snapshot.figures == lived.states[lived.index_at(snapshot.at)][1], snapshot.at
    # The figures moved as the design did: the PM's departure is an error of the pipeline.
    before, after = (lived.states[2][1], lived.states[3][1])
    assert after["by_code"].get("pipeline.pm_inactive") == 1
    assert "pipeline.pm_inactive" not in before["by_code"]
    # Once a day: a second run records nothing more.
    again = snapshot_daily(lived.org)
    assert not again.created and again.backfilled == 0
    assert HealthSnapshot.objects.filter(organisation=lived.org).count() == len(daily)


def test_daily_snapshots_over_simulated_days_count_right():
    org = OrganisationFactory(slug="acme", name="Acme")
    objects = build(org)
    age(org, 3 * DAY)
    first = snapshot_daily(org)
    assert first.created and first.backfilled == 2
    assert first.snapshot.figures["errors"] == figures_of(analysis_of(org))["errors"]
    services.person_update(person=fresh(Person, objects["pm"].pk), active=False, actor=ACTOR)
    age(org, DAY)  # a day passes: today's snapshot is yesterday's now
    second = snapshot_daily(org)
    assert second.created and second.backfilled == 0
    assert second.snapshot.at == midnight(timezone.now())
    assert second.snapshot.figures["errors"] == first.snapshot.figures["errors"] + 1


def test_a_design_younger_than_midnight_waits_for_tomorrow():
    org = OrganisationFactory()
    build(org)
    taken = snapshot_daily(org)
    if midnight(timezone.now()) < org.created_at:
        assert taken.snapshot is None and not HealthSnapshot.objects.exists()


def test_the_command_and_the_schedule_record_once(lived, capsys):
    call_command("snapshot_health", "acme")
    out = capsys.readouterr().out
    assert re.search(r"acme: recorded \d{4}-\d\d-\d\d 00:00 UTC: \d+ errors", out)
    assert "5 earlier days back-filled from history" in out
    call_command("snapshot_health")
    assert "acme: already recorded" in capsys.readouterr().out
    HealthSnapshot.objects.all().delete()
    call_command("run_schedule", "--once")
    assert "acme: recorded" in capsys.readouterr().out
    count = HealthSnapshot.objects.count()
    call_command("run_schedule", "--once")
    assert HealthSnapshot.objects.count() == count
    with pytest.raises(Exception, match="No organisation"):
        call_command("snapshot_health", "nope")


def test_scenarios_get_no_daily_snapshot(lived):
    scenario = scenario_create(origin=lived.org, name="Draft")
    call_command("snapshot_health")
    assert not HealthSnapshot.objects.filter(organisation=scenario).exists()
    assert HealthSnapshot.objects.filter(organisation=lived.org).exists()


# Promotions and merges --------------------------------------------------------------------

def test_a_promotion_reads_back_before_and_after(lived):
    before = timezone.now()
    scenario = scenario_create(origin=lived.org, name="Flatter")
    services.person_update(person=Person.objects.get(organisation=scenario, name="Max"),
                           name="Max Power", actor=ACTOR)
    scenario_promote(scenario=scenario, actor=ACTOR)
    org = fresh(Organisation, lived.org.pk)
    # Before: the rows the promotion removed, none of those it copied in.
    assert rows(load_as_of(org, before)) == lived.states[-1][0]
    # After: the promoted design.
    assert rows(load_as_of(org, timezone.now())) == rows(load_org_data(org))
    assert "Max Power" in {p.name for p in load_as_of(org, timezone.now()).people}


def test_promotion_and_merge_jobs_record_a_snapshot(lived):
    org = lived.org
    Organisation.objects.filter(pk=org.pk).update(merge_approval=MergeApproval.NEVER)
    scenario = scenario_create(origin=org, name="Flatter")
    services.person_update(person=Person.objects.get(organisation=scenario, name="Max"),
                           name="Max Power", actor=ACTOR)
    job_start(organisation=org, kind=JobKind.SCENARIO_MERGE,
              params={"scenario": scenario.pk}, actor=ACTOR)
    other = scenario_create(origin=org, name="Rebuilt")
    job_start(organisation=org, kind=JobKind.SCENARIO_PROMOTE,
              params={"scenario": other.pk}, actor=ACTOR)
    run_worker()
    assert set(Job.objects.values_list("state", flat=True)) == {"done"}
    events = list(HealthSnapshot.objects.filter(organisation=org).exclude(kind="daily"))
    assert [(event.kind, event.note) for event in events] == [
        (SnapshotKind.MERGE, "Merged Flatter"), (SnapshotKind.PROMOTION, "Promoted Rebuilt")]
    assert events[0].figures == figures_of(analysis_of(fresh(Organisation, org.pk)))


# The health page, its CSV and the API -------------------------------------------------------

def page(client, org, query=""):
    response = client.get(f"/orgs/{org.slug}/health/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_health_page_draws_each_chart_with_its_table(lived):
    snapshot_daily(lived.org)
    org = lived.org
    merged = snapshot_event(org, kind=SnapshotKind.MERGE, note="Merged <b>Flatter</b>")
    content = page(client_for(org, AccessRole.VIEWER), org)
    for chart in ("findings", "ownership", "structure", "spans-layers", "spans-today",
                  "layers-today"):
        assert f'data-chart="{chart}"' in content
        assert f'data-chart-table="{chart}"' in content
    # The table of errors: a row per snapshot, oldest first, with its figures.
    table = re.search(r'data-chart-table="findings">(.*?)</table>', content, re.S).group(1)
    cells = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td class=\"num\">(\d+)</td>",
                       table)
    snapshots = list(HealthSnapshot.objects.filter(organisation=org))
    assert [int(errors) for _, errors in cells] == [s.figures["errors"] for s in snapshots]
    # The merge is marked on the time axis and listed, its words escaped.
    assert "data-event" in content
    assert "Merged &lt;b&gt;Flatter&lt;/b&gt;" in content and "<b>Flatter" not in content
    assert merged.at.strftime("%Y-%m-%d %H:%M") in content
    # Money never appears.
    assert "data-money" not in content


def test_a_chart_by_code_on_demand(lived):
    snapshot_daily(lived.org)
    content = page(client_for(lived.org), lived.org, "?code=pipeline.pm_inactive")
    assert 'data-chart="code"' in content
    table = re.search(r'data-chart-table="code">(.*?)</table>', content, re.S).group(1)
    counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', table)]
    assert counts[-1] == 1 and counts[0] == 0
    assert 'data-chart="code"' not in page(client_for(lived.org), lived.org, "?code=nope")


def test_each_chart_downloads_as_csv(lived):
    snapshot_daily(lived.org)
    client = client_for(lived.org)
    response = client.get(f"/orgs/{lived.org.slug}/health/findings.csv")
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0] == ["Date", "Errors", "Warnings"]
    snapshots = list(HealthSnapshot.objects.filter(organisation=lived.org))
    assert [row[1] for row in table[1:]] == [str(s.figures["errors"]) for s in snapshots]
    spans = client.get(f"/orgs/{lived.org.slug}/health/spans-today.csv")
    assert b"".join(spans.streaming_content).decode().startswith("Direct reports,Managers")
    assert client.get(f"/orgs/{lived.org.slug}/health/nothing.csv").status_code == 404


def test_the_health_page_is_the_members_only(lived):
    other = OrganisationFactory()
    outsider = client_for(other)
    assert outsider.get(f"/orgs/{lived.org.slug}/health/").status_code == 404
    assert outsider.get(f"/orgs/{lived.org.slug}/health/findings.csv").status_code == 404


def test_the_health_page_reads_a_fixed_number_of_queries(django_assert_num_queries):
    counts = []
    for size in (1, 3):
        org = OrganisationFactory()
        for _ in range(size):
            build_more(org)
        age(org, 5 * DAY)
        snapshot_daily(org)
        snapshot_event(org, kind=SnapshotKind.MERGE, note="Merged")
        client = client_for(org)
        client.get(f"/orgs/{org.slug}/health/")  # the analysis kept
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            page(client, org)
        counts.append(len(queries))
        # The session, the login, the organisation with the role, the snapshots: the
        # analysis of today is kept.
        with django_assert_num_queries(4):
            page(client, org)
    assert counts[0] == counts[1]


def build_more(org):
    lead = PersonFactory(organisation=org, role=Role.TECH_LEAD)
    team = TeamFactory(organisation=org, lead=lead)
    for _ in range(3):
        MembershipFactory(team=team, person=PersonFactory(organisation=org, manager=lead))
    EngagementFactory(pipeline=PipelineFactory(organisation=org), team=team)


def test_the_api_gives_the_trend(lived):
    from tests.api_helpers import token_client

    snapshot_daily(lived.org)
    body = token_client(lived.org, "read").get(
        f"/api/v1/orgs/{lived.org.slug}/health/").json()
    snapshots = body["snapshots"]
    assert len(snapshots) == HealthSnapshot.objects.filter(organisation=lived.org).count()
    first = snapshots[-1]
    for key in ("at", "errors", "warnings", "infos", "by_code", "label", "central_share",
                "spans", "layers", "headcount", "fte", "by_kind"):
        assert key in first
    assert first["errors"] == lived.states[lived.index_at(midnight(timezone.now()))][1]["errors"]
    assert first["at"].endswith(("T00:00:00Z", "T00:00:00+00:00"))
    refused = token_client(lived.org, "read").get(
        f"/api/v1/orgs/{lived.org.slug}/health/?days=0")
    assert refused.status_code == 400


# ?as_of= on the pages and the API ----------------------------------------------------------

def test_the_pages_show_the_design_as_it_was(lived):
    org = lived.org
    client = client_for(org, AccessRole.EDITOR)
    then = (lived.began[1] + DAY / 2).date().isoformat()  # the day Infra was engaged
    # The end of that day: Infra is engaged in the matrix then, not now.
    content = client.get(f"/orgs/{org.slug}/?as_of={then}").content.decode()
    assert "data-as-of" in content and "read only" in content
    assert "Serving Grid" in content
    assert "Serving Grid" not in client.get(f"/orgs/{org.slug}/").content.decode()
    # Read only: no cell editor, no fix.
    assert "hx-post" not in content and "Try this fix" not in content
    # Findings then: the PM had not left.
    findings_then = client.get(f"/orgs/{org.slug}/findings/?as_of={then}").content.decode()
    assert 'data-finding="pipeline.pm_inactive"' not in findings_then
    assert 'data-finding="pipeline.pm_inactive"' in client.get(
        f"/orgs/{org.slug}/findings/").content.decode()
    for path in ("structure/", "chart/", "chart/data/"):
        assert client.get(f"/orgs/{org.slug}/{path}?as_of={then}").status_code == 200


def test_a_bad_moment_is_refused_with_words(lived):
    client = client_for(lived.org)
    bad = client.get(f"/orgs/{lived.org.slug}/?as_of=yesterday")
    assert bad.status_code == 400 and b"is not a date" in bad.content
    early = client.get(f"/orgs/{lived.org.slug}/findings/?as_of=2001-01-01")
    assert early.status_code == 400 and b"did not exist yet" in early.content


def test_the_api_reads_the_matrix_and_findings_as_of(lived):
    from tests.api_helpers import token_client

    org = lived.org
    api = token_client(org, "read")
    then = (lived.began[1] + DAY / 2).isoformat().replace("+00:00", "Z")
    matrix = api.get(f"/api/v1/orgs/{org.slug}/matrix/", {"as_of": then}).json()
    assert "Serving Grid" in {column["name"] for column in matrix["columns"]}
    now = api.get(f"/api/v1/orgs/{org.slug}/matrix/").json()
    assert "Serving Grid" not in {column["name"] for column in now["columns"]}
    findings = api.get(f"/api/v1/orgs/{org.slug}/findings/", {"as_of": then}).json()
    assert "pipeline.pm_inactive" not in {f["code"] for f in findings["results"]}
    refused = api.get(f"/api/v1/orgs/{org.slug}/findings/", {"as_of": "soon"})
    assert refused.status_code == 400 and "as_of" in refused.json()
    early = api.get(f"/api/v1/orgs/{org.slug}/matrix/", {"as_of": "2001-01-01"})
    assert early.status_code == 400 and "did not exist" in early.json()["as_of"][0]


def test_compare_then_against_now(lived):
    org = lived.org
    then = (lived.began[2] + DAY / 2).isoformat().replace("+00:00", "Z")
    client = client_for(org)
    content = client.get(f"/orgs/{org.slug}/compare/{org.slug}/?as_of={then}").content.decode()
    assert "data-as-of" in content
    from tests.api_helpers import token_client

    body = token_client(org, "read").get(
        f"/api/v1/orgs/{org.slug}/compare/{org.slug}/", {"as_of": then}).json()
    # Since then the PM left and Infra went: both show.
    assert "pipeline.pm_inactive" in {f["code"] for f in body["findings"]["introduced"]}
    assert any(team["name"] == "Serving Grid" for team in body["teams"])
    same = token_client(org, "read").get(f"/api/v1/orgs/{org.slug}/compare/{org.slug}/").json()
    assert same["findings"] == {"fixed": [], "introduced": []}


def test_what_a_moment_means():
    from orgdesign.health.as_of import BadMoment, parse_moment

    now = datetime.datetime(2026, 12, 8, 12, 0, tzinfo=datetime.UTC)
    # A date is the end of that day, UTC.
    assert parse_moment("2026-09-30", now=now) == datetime.datetime(
        2026, 9, 30, 23, 59, 59, 999999, tzinfo=datetime.UTC)
    # A datetime without a zone is UTC; with one, it is read in it.
    assert parse_moment("2026-09-30T14:00:00", now=now) == datetime.datetime(
        2026, 9, 30, 14, tzinfo=datetime.UTC)
    assert parse_moment("2026-09-30T14:00:00+02:00", now=now) == datetime.datetime(
        2026, 9, 30, 12, tzinfo=datetime.UTC)
    # A moment still to come is now.
    assert parse_moment("2026-12-08", now=now) == now
    for bad in ("yesterday", "2026-13-01", "2026-02-30", "1" * 300):
        with pytest.raises(BadMoment, match="is not a date"):
            parse_moment(bad, now=now)


def test_the_home_page_shows_each_designs_errors_over_90_days(lived):
    snapshot_daily(lived.org)
    daily = list(HealthSnapshot.objects.filter(organisation=lived.org, kind="daily"))
    content = client_for(lived.org).get("/").content.decode()
    row = re.search(r'<tr data-organisation="acme">(.*?)</tr>', content, re.S).group(1)
    assert "data-trend" in row and 'href="/orgs/acme/health/"' in row
    first, last = daily[0], daily[-1]
    assert (f"Errors from {first.figures['errors']} on {first.at:%Y-%m-%d} to "
            f"{last.figures['errors']} on {last.at:%Y-%m-%d}") in row
    # One point per daily snapshot.
    points = re.search(r'<polyline points="([^"]+)"', row).group(1).split()
    assert len(points) == len(daily)
    # A design without snapshots yet says when its line starts.
    fresh_org = OrganisationFactory(slug="fresh")
    content = client_for(fresh_org).get("/").content.decode()
    row = re.search(r'<tr data-organisation="fresh">(.*?)</tr>', content, re.S).group(1)
    assert "from tomorrow" in row and "data-trend" not in row


def test_a_scenarios_health_page_says_why_it_has_no_trend(lived):
    scenario = scenario_create(origin=lived.org, name="Draft")
    content = page(client_for(lived.org), scenario)
    assert "A scenario has no snapshots" in content
    # Today's spans and layers are its own.
    assert 'data-chart-table="spans-today"' in content
