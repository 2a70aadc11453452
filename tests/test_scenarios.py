"""Scenarios (copies of a design) and compare: the service, the pages, the CSV and the API."""

import csv
import io
import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from orgdesign.analysis.compare import compare_designs
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.loader import load_org_data
from orgdesign.jobs.models import Job
from orgdesign.scenarios import services as scenarios_module
from orgdesign.scenarios.services import scenario_create, scenario_promote
from pipelines import services as pipeline_services
from pipelines.generator import generate_org
from pipelines.models import Engagement, Pipeline
from teams import services
from teams.models import (
    ApiToken,
    Membership,
    Organisation,
    OrganisationAccess,
    Person,
    ScenarioMerge,
    Team,
)
from teams.tokens import token_create
from tests.api_helpers import api_url, token_client
from tests.factories import OrganisationFactory, UserFactory, client_for
from tests.worker import run_worker

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



def copy_of(origin: Organisation, name: str = "Try it") -> Organisation:
    return scenario_create(origin=origin, name=name, creator=UserFactory())


def findings_as_text(organisation: Organisation) -> list[tuple]:
    """The findings of a design without its ids, to compare two designs object for object."""
    return [
        (f.code, f.severity, f.subject.type, f.subject.name, f.message, f.stage,
         tuple(ref.name for ref in f.related))
        for f in compute_findings(load_org_data(organisation))
    ]


# The copy -------------------------------------------------------------------------------------


def test_a_copy_has_the_same_findings_object_for_object(demo):
    copy = copy_of(demo)

    assert findings_as_text(copy) == findings_as_text(demo)
    comparison = compare_designs(load_org_data(demo), load_org_data(copy))
    assert comparison.counts == dict.fromkeys(comparison.counts, 0)


def test_a_copy_has_every_row_of_every_table(demo):
    copy = copy_of(demo)

    for model, lookup in (
        (Person, "organisation"),
        (Team, "organisation"),
        (Pipeline, "organisation"),
        (Membership, "team__organisation"),
        (Engagement, "pipeline__organisation"),
    ):
        assert model.objects.filter(**{lookup: copy}).count() == model.objects.filter(
            **{lookup: demo}
        ).count(), model.__name__
    assert copy.ml_head.name == demo.ml_head.name
    assert copy.ml_head.organisation == copy
    dotted = Person.objects.get(organisation=copy, name="Pablo Jiménez").dotted_line_managers
    assert [p.name for p in dotted.all()] == ["Marcus Lee"]
    assert dotted.get().organisation == copy
    assert (copy.scenario_of, copy.span_max, copy.layers_max) == (
        demo, demo.span_max, demo.layers_max
    )


def test_a_copy_of_a_generated_organisation_is_faithful_too():
    origin = OrganisationFactory()
    generate_org(origin, people=400, teams=20, pipelines=20, seed=3)

    copy = copy_of(origin)

    assert findings_as_text(copy) == findings_as_text(origin)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite splits bulk inserts by its limit of variables, so its counts follow size",
)
@pytest.mark.parametrize("people", [400, 1200])
def test_the_copy_runs_a_fixed_number_of_queries_per_table(django_assert_num_queries, people):
    origin = OrganisationFactory()
    generate_org(origin, people=people, teams=20, pipelines=20, seed=1)
    creator = UserFactory()
    managed = Person.objects.filter(organisation=origin, manager__isnull=False).count()

    # Savepoint; the origin locked (and read again, in the copy's snapshot); the scenarios
    # it has (the cap); the slug; the organisation; JIT off; each table copied by one
    # statement inside the database (people with their managers, dotted lines, teams,
    # memberships, pipelines, engagements, levels, positions: eight); the planner's
    # statistics refreshed (ANALYZE); the ML head; the copy's one history entry with the
    # design's new version (two); the base kept (the origin's six tables read once more in
    # the same snapshot, one insert); release. No role is granted: the origin's members
    # see it. Nothing grows with the organisation, managers included. And the software
    # catalog the generator plants: copied by one statement, its size set (two).
    assert managed > 0
    with django_assert_num_queries(28):
        scenario_create(origin=origin, name="Bigger", creator=creator)


def test_a_scenario_belongs_to_its_origin_with_no_members_or_tokens_of_its_own(demo):
    member = UserFactory()
    services.access_grant(organisation=demo, user=member, role="editor")
    token_create(organisation=demo, name="HR sync", scope="write")
    creator = UserFactory()

    copy = scenario_create(origin=demo, name="Try it", creator=creator)
    again = scenario_create(origin=copy, name="Try it again", creator=creator)

    assert (copy.home, copy.created_by, copy.private) == (demo, creator, False)
    assert (again.scenario_of, again.home) == (copy, demo)
    assert not OrganisationAccess.objects.filter(organisation__in=[copy, again]).exists()
    assert not ApiToken.objects.filter(organisation__in=[copy, again]).exists()


def test_scenario_slugs_come_from_their_names_and_never_collide(demo):
    first = copy_of(demo, "Infra under ML")
    second = copy_of(demo, "Infra under ML")

    assert (first.slug, second.slug) == ("infra-under-ml", "infra-under-ml-2")


def test_a_scenario_needs_a_name(demo):
    with pytest.raises(ValidationError, match="Give the scenario a name"):
        scenario_create(origin=demo, name="  ")
    assert not Organisation.objects.filter(scenario_of=demo).exists()


# The scenarios page ---------------------------------------------------------------------------


def test_an_editor_copies_the_design_through_a_job_and_lands_in_the_scenario(editor, demo):
    response = editor.post("/orgs/demo/scenarios/", {"name": "Infra under ML"})

    job = Job.objects.get(organisation=demo)
    assert response.status_code == 302
    assert response["Location"] == f"/orgs/demo/jobs/{job.uid}/"
    waiting = editor.get(response["Location"]).content.decode()
    assert 'data-job-state="queued"' in waiting
    assert 'hx-trigger="every 1s"' in waiting  # the page polls while the job runs

    run_worker()

    copy = Organisation.objects.get(scenario_of=demo)
    done = editor.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'data-job-state="done"' in done
    assert "hx-trigger" not in done
    assert f'href="/orgs/{copy.slug}/"' in done
    page = editor.get("/orgs/infra-under-ml/").content.decode()
    assert 'class="scenario-banner"' in page
    assert f'data-scenario-of="{demo.slug}"' in page
    assert copy.created_by == editor.user and copy.home == demo


def test_the_live_design_has_no_banner(viewer):
    assert 'class="scenario-banner"' not in viewer.get("/orgs/demo/").content.decode()


def test_the_page_lists_scenarios_with_their_findings_beside_the_origins(editor, demo):
    editor.post("/orgs/demo/scenarios/", {"name": "Infra under ML"})
    run_worker()
    errors = sum(1 for f in compute_findings(load_org_data(demo)) if f.severity == "error")

    content = editor.get("/orgs/demo/scenarios/").content.decode()

    assert 'data-organisation="demo"' in content
    assert 'data-organisation="infra-under-ml"' in content
    assert content.count(f'<td class="num" data-severity="error">{errors}</td>') == 2
    assert 'href="/orgs/demo/compare/infra-under-ml/"' in content


def test_a_viewer_cannot_copy(viewer, demo):
    response = viewer.post("/orgs/demo/scenarios/", {"name": "Nope"})
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_an_empty_name_is_refused_next_to_the_field(editor, demo):
    response = editor.post("/orgs/demo/scenarios/", {"name": ""})
    assert response.status_code == 400
    assert "Give the scenario a name." in response.content.decode()
    assert not Job.objects.exists()


def test_the_scenarios_page_runs_a_fixed_number_of_queries(
    django_assert_num_queries, editor, demo
):
    for name in ("One", "Two", "Three"):
        scenario_create(origin=demo, name=name, creator=editor.user)
    for number in range(3):
        ScenarioMerge.objects.create(organisation=demo, scenario_name=f"Merged {number}",
                                     user=editor.user, before={}, after={})
    # session, user, organisation, its scenarios, then one query per table for all designs
    # (the software catalog's included: the demo has one), and its merges with who made them.
    with django_assert_num_queries(12):
        page = editor.get("/orgs/demo/scenarios/").content.decode()
    assert page.count("Undo as a scenario") == 3


# Compare ------------------------------------------------------------------------------------


@pytest.fixture
def moved(demo):
    """A scenario of the demo with one change of each kind."""
    copy = copy_of(demo, "Infra under ML")
    person = Person.objects.get
    # The ML platform team's lead moves under the ML head: its dependency is fixed.
    services.person_update(
        person=person(organisation=copy, name="Dana Kim"),
        manager=person(organisation=copy, name="Amara Okafor"),
    )
    # Someone joins a second team.
    services.membership_set(
        person=person(organisation=copy, name="Tom Becker"),
        team=Team.objects.get(organisation=copy, name="Labeling Ops"),
        allocation=20,
    )
    # A cell changes role, a pipeline is added, someone leaves.
    home = Pipeline.objects.get(organisation=copy, name="Home feed ranking")
    pipeline_services.engagement_set(
        pipeline=home, team=Team.objects.get(organisation=copy, name="ML Tooling"), role="owner"
    )
    pipeline_services.pipeline_create(organisation=copy, name="Churn prediction")
    services.person_deactivate(person=person(organisation=copy, name="Erik Lund"))
    return copy


def test_compare_lists_each_kind_of_difference(demo, moved):
    comparison = compare_designs(load_org_data(demo), load_org_data(moved))

    people = {change.name: change for change in comparison.people}
    assert people["Dana Kim"].fields["manager"] == ("Priya Shah", "Amara Okafor")
    assert people["Tom Becker"].fields["teams"] == (
        "ML Tooling:100", "ML Tooling:100;Labeling Ops:20"
    )
    assert people["Erik Lund"].fields["active"] == (True, False)
    teams = {change.name: change for change in comparison.teams}
    assert teams["ML Platform"].fields["in_ml_org"] == (False, True)
    assert [(c.name, c.change) for c in comparison.pipelines] == [("Churn prediction", "added")]
    assert [(c.name, c.fields) for c in comparison.cells] == [
        ("Home feed ranking × ML Tooling", {"role": ("contributor", "owner")})
    ]
    counts = comparison.counts
    assert (counts["people_moved"], counts["teams_into_ml_org"], counts["cells_changed"]) == (
        2, 1, 1
    )
    assert counts["pipelines_added"] == 1


def test_compare_shows_the_dependency_fixed_and_the_findings_introduced(demo, moved):
    comparison = compare_designs(load_org_data(demo), load_org_data(moved))

    fixed = {(f.code, f.subject.name) for f in comparison.fixed}
    introduced = {(f.code, f.subject.name) for f in comparison.introduced}
    assert ("dependency.outside_ml_org", "ML Platform") in fixed
    assert ("pipeline.no_pm", "Churn prediction") in introduced
    assert not fixed & introduced


def test_compare_matches_people_by_external_id_then_by_name():
    a = OrganisationFactory()
    ada = services.person_create(organisation=a, name="Ada", external_id="E1")
    services.person_create(organisation=a, name="Bo")
    b = copy_of(a)
    services.person_update(person=Person.objects.get(organisation=b, pk__gt=ada.pk,
                                                     external_id="E1"), name="Ada Byron")

    comparison = compare_designs(load_org_data(a), load_org_data(b))

    assert [(c.key, c.change, c.fields) for c in comparison.people] == [
        ("external_id:E1", "changed", {"name": ("Ada", "Ada Byron")})
    ]


def test_the_compare_page_shows_counts_and_differences(viewer, demo, moved):

    content = viewer.get(f"/orgs/demo/compare/{moved.slug}/").content.decode()

    assert 'data-compare="fixed"' in content
    assert 'data-finding="dependency.outside_ml_org" data-compare="fixed"' in content
    assert "Dana Kim" in content and "Amara Okafor" in content
    assert re.search(
        r'<li data-count="cells_changed" class="nonzero"><span class="value">1</span>', content
    )


def test_the_compare_page_needs_to_see_both_designs(viewer, moved):
    outsider = client_for(OrganisationFactory(), "admin")
    assert outsider.get(f"/orgs/demo/compare/{moved.slug}/").status_code == 404
    Organisation.objects.filter(pk=moved.pk).update(private=True)  # someone else's, private
    assert viewer.get(f"/orgs/demo/compare/{moved.slug}/").status_code == 404


def test_the_compare_csv_has_a_row_per_changed_field_and_finding(viewer, demo, moved):

    response = viewer.get(f"/orgs/demo/compare/{moved.slug}/?format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="demo-compare-{moved.slug}-' in response["Content-Disposition"]
    assert {"type": "person", "key": rows[0]["key"], "name": "Dana Kim", "change": "changed",
            "field": "manager", "a": "Priya Shah", "b": "Amara Okafor"} in rows
    assert any(r["type"] == "finding" and r["field"] == "dependency.outside_ml_org"
               and r["change"] == "fixed" for r in rows)


def test_the_api_compares_designs_of_a_tokens_family(demo, moved):
    reader = token_client(demo, "read")

    response = reader.get(api_url(demo, f"compare/{moved.slug}/"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"counts", "people", "teams", "pipelines", "cells", "findings",
                         "capacity"}
    assert set(body["findings"]) == {"fixed", "introduced"}
    assert body["counts"]["teams_into_ml_org"] == 1
    assert any(f["code"] == "dependency.outside_ml_org" for f in body["findings"]["fixed"])
    # From the scenario's side, the same differences the other way round.
    back = token_client(moved, "read").get(api_url(moved, "compare/demo/")).json()
    assert back["counts"]["teams_out_of_ml_org"] == 1


def test_a_token_cannot_compare_with_a_design_outside_its_family(demo):
    stranger = OrganisationFactory(slug="stranger")

    response = token_client(demo, "read").get(api_url(demo, f"compare/{stranger.slug}/"))

    assert response.status_code == 404


def test_compare_runs_a_fixed_number_of_queries(django_assert_num_queries, viewer, demo, moved):
    # session, user, the two organisations, then one query per table for both designs (the
    # software catalog's included: the demo has one).
    with django_assert_num_queries(11):
        assert viewer.get(f"/orgs/demo/compare/{moved.slug}/").status_code == 200


# Promote ------------------------------------------------------------------------------------


def test_promoting_a_scenario_makes_it_the_design_and_keeps_the_previous_one(demo, moved):
    member = UserFactory()
    services.access_grant(organisation=demo, user=member, role="viewer")
    token, _ = token_create(organisation=demo, name="HR sync", scope="write")
    before, after = findings_as_text(demo), findings_as_text(moved)
    admin = UserFactory()

    backup = scenario_promote(scenario=moved, creator=admin)

    demo.refresh_from_db()
    assert findings_as_text(demo) == after
    assert findings_as_text(backup) == before
    assert backup.scenario_of == demo
    # The live design keeps its address, members and tokens.
    assert demo.slug == "demo"
    assert OrganisationAccess.objects.filter(organisation=demo, user=member).exists()
    assert ApiToken.objects.filter(pk=token.pk, organisation=demo).exists()
    assert demo.ml_head.organisation == demo


def test_promoting_the_kept_design_undoes_a_promotion(demo, moved):
    before = findings_as_text(demo)
    backup = scenario_promote(scenario=moved)

    scenario_promote(scenario=backup)

    demo.refresh_from_db()
    assert findings_as_text(demo) == before
    counts = compare_designs(load_org_data(backup), load_org_data(demo)).counts
    assert counts == dict.fromkeys(counts, 0)


def test_a_promotion_that_fails_midway_leaves_the_design_as_it_was(demo, moved, monkeypatch):
    before = findings_as_text(demo)
    people = Person.objects.filter(organisation=demo).count()

    def broken_copy(source, target, *, actor, progress):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(scenarios_module, "copy_design", broken_copy)
    with pytest.raises(RuntimeError):
        scenario_promote(scenario=moved)

    assert findings_as_text(demo) == before
    assert Person.objects.filter(organisation=demo).count() == people
    assert Organisation.objects.filter(scenario_of=demo).count() == 1  # just `moved`


def test_an_origin_admin_promotes_from_the_scenarios_page(demo, moved):
    admin = client_for(demo, "admin")
    page = admin.get("/orgs/demo/scenarios/").content.decode()
    assert f'data-promote="{moved.slug}"' in page

    response = admin.post(f"/orgs/{moved.slug}/promote/")
    job = Job.objects.get(organisation=demo)
    assert response["Location"] == f"/orgs/demo/jobs/{job.uid}/"
    run_worker()

    shown = admin.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.state == "done"
    assert f'href="/orgs/{job.result["backup"]}/"' in shown
    assert ("dependency.outside_ml_org", "ML Platform") not in {
        (code, name) for code, _, _, name, *_ in findings_as_text(demo)
    }


def test_an_editor_of_the_origin_cannot_promote(editor, demo, moved):
    OrganisationAccess.objects.create(organisation=moved, user=editor.user, role="admin")

    assert editor.post(f"/orgs/{moved.slug}/promote/").status_code == 403
    assert "data-promote" not in editor.get("/orgs/demo/scenarios/").content.decode()
    assert not Job.objects.exists()


def test_a_live_design_cannot_be_promoted(demo):
    admin = client_for(demo, "admin")
    assert admin.post("/orgs/demo/promote/").status_code == 404


# Jobs ---------------------------------------------------------------------------------------


def test_a_job_that_fails_midway_writes_nothing_and_shows_its_error(editor, demo, monkeypatch):
    def broken_copy(source, target, *, actor, progress):
        Person.objects.create(organisation=target, name="Half written")
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(scenarios_module, "copy_design", broken_copy)
    response = editor.post("/orgs/demo/scenarios/", {"name": "Doomed"})
    run_worker()

    job = Job.objects.get(organisation=demo)
    # A sentence for the reader; the exception itself goes to the log, not the page.
    assert job.state == "failed"
    assert job.error.startswith("The job failed and nothing was written")
    assert "RuntimeError" not in job.error
    assert not Organisation.objects.filter(scenario_of=demo).exists()
    assert not Person.objects.filter(name="Half written").exists()
    page = editor.get(response["Location"]).content.decode()
    assert 'data-job-state="failed"' in page
    assert "nothing was written" in page
    assert "the disk is full" not in page and "RuntimeError" not in page


def test_the_api_answers_a_jobs_progress(demo):
    job = scenarios_job(demo)
    reader = token_client(demo, "read")

    queued = reader.get(api_url(demo, f"jobs/{job.uid}/")).json()
    run_worker()
    done = reader.get(api_url(demo, f"jobs/{job.uid}/")).json()

    assert (queued["state"], queued["kind"]) == ("queued", "scenario_copy")
    assert done["state"] == "done"
    assert done["done"] == done["total"] > 0
    assert done["result"]["scenario"] == "api-copy"
    assert reader.get(api_url(demo, f"jobs/{uuid.uuid4()}/")).status_code == 404


def test_a_token_cannot_read_another_organisations_job(demo):
    job = scenarios_job(demo)
    other = OrganisationFactory()
    assert token_client(other, "read").get(api_url(other, f"jobs/{job.uid}/")).status_code == 404


def scenarios_job(origin):
    from orgdesign.jobs.runner import job_start
    from teams.actor import SYSTEM

    return job_start(organisation=origin, kind="scenario_copy", params={"name": "API copy"},
                     actor=SYSTEM)


def test_an_async_people_sync_answers_202_and_a_worker_applies_it(demo):
    writer = token_client(demo, "write")
    body = {"async": True, "people": [
        {"external_id": "NEW-1", "name": "Nia New", "email": "nia@northwind.example"}
    ]}

    response = writer.post(api_url(demo, "people/sync/"), body, format="json")

    assert response.status_code == 202
    assert not Person.objects.filter(external_id="NEW-1").exists()
    run_worker()
    state = writer.get(response["Location"]).json()
    assert (state["state"], state["result"]["created"]) == ("done", 1)
    person = Person.objects.get(organisation=demo, external_id="NEW-1")
    assert (person.updated_via, person.updated_by_token_id) == ("api", writer.token.pk)


def test_a_refused_async_sync_is_refused_at_once_with_every_bad_record(demo):
    writer = token_client(demo, "write")
    body = {"async": True, "people": [
        {"external_id": "NEW-1", "name": "Nia New"},
        {"external_id": "NEW-2", "name": "Bad", "manager_external_id": "NOBODY"},
    ]}

    response = writer.post(api_url(demo, "people/sync/"), body, format="json")

    assert response.status_code == 400
    assert [error["index"] for error in response.json()["errors"]] == [1]
    assert not Job.objects.exists()
    assert not Person.objects.filter(external_id__startswith="NEW-").exists()


def test_an_async_sync_refused_by_the_worker_fails_and_writes_nothing(demo):
    # The design changed between the check and the worker's run: the worker refuses it too.
    writer = token_client(demo, "write")
    body = {"async": True, "people": [{"external_id": "NEW-1", "name": "Nia New"}]}
    response = writer.post(api_url(demo, "people/sync/"), body, format="json")
    Job.objects.filter(uid=response.json()["job"]).update(
        params={"people": [{"external_id": "NEW-1", "name": ""}], "mode": "delta"}
    )

    run_worker()

    state = writer.get(response["Location"]).json()
    assert state["state"] == "failed"
    assert [error["index"] for error in state["result"]["errors"]] == [0]
    assert not Person.objects.filter(external_id="NEW-1").exists()
