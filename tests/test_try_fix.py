"""Try a fix (issue 17): the remedies of a finding, tried in a scenario, through the findings
page, the remedies page, fix-all, the compare page, the jobs and the API."""

import re
from collections import Counter
from html import unescape
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.utils.html import escape

from orgdesign.analysis.catalogue import CATALOGUE
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.kept import forget_all
from orgdesign.analysis.loader import load_org_data
from orgdesign.analysis.remedies import (
    PROPOSERS,
)
from orgdesign.jobs.models import Job
from orgdesign.scenarios import fix_api, fix_views, try_fix
from pipelines import services as pipeline_services
from pipelines.generator import generate_org
from pipelines.models import Engagement, Pipeline
from teams import services
from teams.models import Membership, Organisation, OrganisationAccess, Person, Team
from tests.api_helpers import api_url, token_client
from tests.factories import OrganisationFactory, client_for
from tests.worker import run_worker

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]

PLATFORM_FIX = "Move Dana Kim, with ML Platform, under the ML head Amara Okafor."
REFUSAL = "Refused for the test."



# Helpers --------------------------------------------------------------------------------------


def findings_of(organisation: Organisation) -> list:
    return compute_findings(load_org_data(organisation))


def key_of(organisation: Organisation, code: str, subject: str) -> str:
    """The key of the one finding of `code` about `subject`."""
    [finding] = [
        f for f in findings_of(organisation) if f.code == code and f.subject.name == subject
    ]
    return finding.key


def dict_key(finding: dict) -> str:
    """A finding's key from its API shape (the compare API gives no key of its own)."""
    key = f"{finding['code']}:{finding['subject']['id']}"
    return f"{key}:{finding['stage']}" if finding.get("stage") else key


@pytest.fixture
def platform(demo) -> str:
    """The key of ML Platform's dependency outside the ML org."""
    return key_of(demo, "dependency.outside_ml_org", "ML Platform")


def remedies_url(key: str, slug: str = "demo") -> str:
    return f"/orgs/{slug}/findings/{key}/remedies/"


def compare_url(scenario: Organisation, tried: str) -> str:
    return f"/orgs/demo/compare/{scenario.slug}/?{urlencode({'tried': tried})}"


def scenarios(origin: Organisation) -> list[Organisation]:
    return list(Organisation.objects.filter(scenario_of=origin))


def the_scenario(origin: Organisation) -> Organisation:
    [scenario] = scenarios(origin)
    return scenario


def manager_name(organisation: Organisation, name: str) -> str:
    return Person.objects.get(organisation=organisation, name=name).manager.name


def table_counts() -> dict[str, int]:
    """How many rows each table of a design holds, all designs together."""
    models = (Organisation, Person, Team, Membership, Pipeline, Engagement, Job)
    return {model.__name__: model.objects.count() for model in models}


def errors_with_remedies(organisation: Organisation) -> list[tuple[str, str]]:
    return [
        (f.code, f.subject.name) for f in findings_of(organisation)
        if f.severity == "error" and f.code in PROPOSERS
    ]


def try_on_page(client, key: str, rank="1", summary: str | None = PLATFORM_FIX):
    data = {"rank": rank} if summary is None else {"rank": rank, "summary": summary}
    return client.post(remedies_url(key), data)


def alert(response) -> str:
    return " ".join(re.findall(r'role="alert">([^<]*)<', response.content.decode()))


def tried_section(content: str) -> str:
    return re.search(r'<section class="tried[^"]*"[^>]*>', content).group(0)


def compared(content: str, kind: str) -> list[str]:
    """The codes of the findings the compare page lists as `fixed` or `introduced`."""
    return re.findall(rf'data-finding="([\w.]+)" data-compare="{kind}"', content)


def remedy_forms(content: str) -> list[str]:
    """The addresses the page's forms post to, of those that try fixes."""
    return re.findall(r'<form method="post" action="([^"]*/remedies/)"', content)


@pytest.fixture
def large(monkeypatch):
    """Every design counts as large: fixes are tried by a worker. The pages and the API
    import the threshold by name, so each module's copy is patched."""
    for module in (try_fix, fix_views, fix_api):
        monkeypatch.setattr(module, "INLINE_PEOPLE", 0)


def job_link(job: Job) -> str:
    return f"/orgs/demo/jobs/{job.uid}/"


def history_rows(client, scenario: Organisation, kind: str) -> list[tuple[str, str]]:
    """The (door, cells) of each `kind` row of the scenario's history page."""
    content = client.get(f"/orgs/{scenario.slug}/history/?kind={kind}").content.decode()
    return re.findall(
        rf'<tr data-history="{kind}" [^>]*data-door="(\w+)">(.*?)</tr>', content, re.S
    )


# The findings page ----------------------------------------------------------------------------


def test_each_finding_with_remedies_has_a_try_form_for_an_editor(editor, demo):
    content = editor.get("/orgs/demo/findings/").content.decode()

    findings = findings_of(demo)
    automatic = [remedies_url(f.key) for f in findings if f.code in PROPOSERS]
    manual = [remedies_url(f.key) for f in findings if f.code not in PROPOSERS]
    assert len(automatic) >= 4 and manual
    # In the page's order: by severity, then the largest group of a code first.
    assert sorted(remedy_forms(content)) == sorted(automatic)
    for url in automatic:
        assert f'<a href="{url}" data-remedies>See the fixes</a>' in content
    assert not any(url in content for url in manual)
    assert '<a class="button-link" href="/orgs/demo/findings/fix-all/">Try all fixes for ' \
           'errors</a>' in content


def test_a_viewer_sees_the_fixes_but_no_form(viewer, demo, platform):
    content = viewer.get("/orgs/demo/findings/").content.decode()

    assert remedy_forms(content) == []
    assert f'<a href="{remedies_url(platform)}" data-remedies>See the fixes it would take</a>' \
           in content
    assert 'href="/orgs/demo/findings/fix-all/">Try all fixes for errors</a>' in content


def test_a_design_without_errors_offers_no_fix_all():
    empty = OrganisationFactory()
    editor = client_for(empty, "editor")

    findings = editor.get(f"/orgs/{empty.slug}/findings/").content.decode()
    plan = editor.get(f"/orgs/{empty.slug}/findings/fix-all/").content.decode()

    assert "Try all fixes for errors</a>" not in findings
    assert "<button type=\"submit\" disabled>Try all fixes in a scenario</button>" in plan


def test_the_findings_page_button_tries_the_best_fix(editor, demo, platform):
    # Exactly what the findings page's form sends: its CSRF token and nothing else.
    response = editor.post(remedies_url(platform))

    assert response.status_code == 302
    assert response["Location"] == compare_url(the_scenario(demo), platform)


# The remedies page ----------------------------------------------------------------------------


def test_the_remedies_page_lists_the_remedies_with_their_changes_and_effect(editor, platform):
    content = editor.get(remedies_url(platform)).content.decode()

    assert f'data-finding-key="{platform}"' in content
    assert "Changes that clear it, best first" in content
    assert f'<p class="remedy-summary">{PLATFORM_FIX}</p>' in content
    assert ('<li data-change="set_manager">Dana Kim reports to Amara Okafor (bringing ML '
            "Platform into the ML org).</li>") in content
    # It also clears the warning on Model Deployment's members outside the ML org, and the
    # feature store of the catalog, owned by ML Platform, is then owned in the ML org.
    assert "Brings no new finding." in content
    assert "Also fixes 2 other findings:" in content
    assert '<input type="hidden" name="rank" value="1">' in content
    assert f'<input type="hidden" name="summary" value="{PLATFORM_FIX}">' in content


def test_the_remedies_are_ranked_and_each_has_its_own_form(editor, demo):
    key = key_of(demo, "pipeline.no_pm", "Podcast recommendations")

    content = editor.get(remedies_url(key)).content.decode()

    summaries = re.findall(r'<p class="remedy-summary">([^<]*)</p>', content)
    # The ML product managers, the one with the fewest pipelines first.
    assert summaries == [
        "Make Grace Park, an ML product manager with 2 pipelines, PM owner of Podcast "
        "recommendations.",
        "Make Jonas Weber, an ML product manager with 2 pipelines, PM owner of Podcast "
        "recommendations.",
    ]
    assert re.findall(r'data-remedy="(\d+)"', content) == ["1", "2"]
    assert re.findall(r'name="rank" value="(\d+)"', content) == ["1", "2"]
    assert re.findall(r'data-change="(\w+)"', content) == ["set_pm", "set_pm"]
    assert remedy_forms(content) == [remedies_url(key)] * 2


def test_an_unowned_stage_of_a_production_pipeline_is_staffed_never_dropped(editor, demo):
    key = key_of(demo, "pipeline.stage_unowned", "Search relevance")

    content = editor.get(remedies_url(key)).content.decode()

    summaries = re.findall(r'<p class="remedy-summary">([^<]*)</p>', content)
    assert summaries == [
        "Make Model Deployment (owns 3 pipelines with 4 active members) owner of the "
        "deployment stage of Search relevance.",
    ]
    assert re.findall(r'data-change="(\w+)"', content) == ["set_cell"]
    assert "Drop the" not in content


def test_a_viewer_reads_the_remedies_without_forms(viewer, platform):
    content = viewer.get(remedies_url(platform)).content.decode()

    assert PLATFORM_FIX in content
    assert remedy_forms(content) == []
    assert "Try this fix" not in content


@pytest.mark.parametrize(
    ("code", "subject"),
    [("person.over_allocated", "Mia Novak"), ("team.kpi_output_volume", "Labeling Ops")],
)
def test_a_code_without_remedies_shows_the_catalogues_fix(editor, demo, code, subject):
    response = editor.get(remedies_url(key_of(demo, code, subject)))

    content = response.content.decode()
    assert response.status_code == 200
    assert "No automatic change" in content
    assert "orgdesign proposes no automatic change for this kind of finding." in content
    assert f'<p class="fix"><strong>How to fix:</strong> {escape(CATALOGUE[code].fix)}</p>' \
           in content
    assert remedy_forms(content) == []


@pytest.mark.parametrize("key", ["nope", "99", "dependency.outside_ml_org:999999"])
def test_an_unknown_finding_answers_404(editor, key):
    response = editor.get(remedies_url(key))

    assert response.status_code == 404
    content = response.content.decode()
    assert "No such finding" in content
    assert f"has no such finding now ({key})" in content


def test_a_finding_is_also_named_by_its_position(editor, demo):
    first = findings_of(demo)[0]

    response = editor.get(remedies_url("0"))

    content = response.content.decode()
    assert response.status_code == 200
    assert escape(first.message) in content
    # Its forms name it by its key: a position would name another finding once the design
    # changes.
    assert remedy_forms(content) and set(remedy_forms(content)) == {remedies_url(first.key)}


# Trying one fix, on a small design ------------------------------------------------------------


def test_trying_a_fix_makes_a_scenario_with_the_change_and_opens_the_comparison(
    editor, demo, platform
):
    response = try_on_page(editor, platform)

    scenario = the_scenario(demo)
    assert response.status_code == 302
    assert response["Location"] == compare_url(scenario, platform)
    assert scenario.name == "Trying a fix for ML Platform (Critical dependency outside the ML org)"
    assert manager_name(scenario, "Dana Kim") == "Amara Okafor"
    assert manager_name(demo, "Dana Kim") == "Priya Shah"  # the design itself is unchanged
    assert ("dependency.outside_ml_org", "ML Platform") in errors_with_remedies(demo)
    assert ("dependency.outside_ml_org", "ML Platform") not in errors_with_remedies(scenario)
    assert scenario.created_by == editor.user


def test_the_comparison_marks_the_finding_fixed_and_lists_what_else_changed(
    editor, reader, demo, platform
):
    advice = reader.get(api_url(demo, f"findings/{platform}/remedies/")).json()
    [remedy] = advice["remedies"]

    response = try_on_page(editor, platform)
    content = editor.get(response["Location"]).content.decode()

    section = tried_section(content)
    assert f'data-tried="{platform}"' in section
    assert 'data-tried-fixed="true"' in section
    assert '<h2 id="tried-heading">Fixed in this scenario</h2>' in content
    [tried] = re.findall(r'<li [^>]*data-tried-finding>.*?</li>', content, re.S)
    assert 'data-finding="dependency.outside_ml_org"' in tried
    assert escape(advice["finding"]["message"]) in tried
    # What the remedies page foretold is what the scenario shows.
    assert sorted(compared(content, "fixed")) == sorted(f["code"] for f in remedy["fixed"])
    assert "team.members_outside_ml_org" in compared(content, "fixed")
    assert compared(content, "introduced") == [f["code"] for f in remedy["introduced"]] == []


def test_the_scenarios_history_records_the_change_through_the_browser(editor, demo, platform):
    try_on_page(editor, platform)
    scenario = the_scenario(demo)

    people = history_rows(editor, scenario, "person")
    settings = history_rows(editor, scenario, "organisation")

    # Dana Kim as copied, then the change: from her manager in the copy to the ML head.
    assert [door for door, _ in people] == ["browser", "browser"]
    [change] = [row for _, row in people if "<ins>Amara Okafor</ins>" in row]
    assert "Dana Kim" in change and "<del>Priya Shah</del> → <ins>Amara Okafor</ins>" in change
    [(door, row)] = settings
    assert door == "browser"
    assert f"trying a fix: {PLATFORM_FIX}" in row
    dana = Person.objects.get(organisation=scenario, name="Dana Kim")
    entry = dana.history.latest("history_date")
    assert (entry.updated_via, entry.updated_by_id) == ("browser", editor.user.pk)
    assert entry.manager_id == Person.objects.get(organisation=scenario, name="Amara Okafor").pk


def test_a_fix_tried_by_position_is_shown_fixed(editor, demo):
    first = findings_of(demo)[0]
    assert first.code in PROPOSERS

    response = editor.post(remedies_url("0"), {"rank": "1"})
    content = editor.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert 'data-tried-fixed="true"' in tried_section(content)


# Refused tries --------------------------------------------------------------------------------


def test_a_stale_choice_is_refused_and_nothing_is_made(editor, demo, platform):
    before = table_counts()

    response = try_on_page(editor, platform, summary="Move Dana Kim under somebody else.")

    assert response.status_code == 409
    assert alert(response) == ("The design changed since these fixes were proposed: read them "
                               "again and choose.")
    # The page shows the remedies as they are now, to choose again.
    assert PLATFORM_FIX in response.content.decode()
    assert table_counts() == before


@pytest.mark.parametrize("rank", ["5", "0"])
def test_a_rank_out_of_range_is_refused_and_nothing_is_made(editor, platform, rank):
    before = table_counts()

    response = try_on_page(editor, platform, rank=rank, summary=None)

    assert response.status_code == 400
    assert alert(response) == f"Choose a fix from 1 to 1, not {rank}."
    assert table_counts() == before


@pytest.mark.parametrize("rank", ["first", "-1", "1.5", "²", "9" * 5_000])
def test_a_rank_that_is_no_number_is_refused_and_nothing_is_made(editor, platform, rank):
    before = table_counts()

    response = try_on_page(editor, platform, rank=rank, summary=None)

    assert response.status_code == 400
    shown = rank if len(rank) <= 40 else rank[:40] + "…"
    assert unescape(alert(response)) == f"Choose a fix by its rank (1 is the best), not {shown!r}."
    assert table_counts() == before


def test_a_fix_for_a_code_without_remedies_is_refused(editor, demo):
    key = key_of(demo, "person.over_allocated", "Mia Novak")
    before = table_counts()

    response = try_on_page(editor, key, summary=None)

    assert response.status_code == 400
    assert alert(response).startswith("No change can be made automatically for this finding.")
    assert table_counts() == before


def test_a_viewer_cannot_try_a_fix(viewer, platform):
    before = table_counts()

    assert try_on_page(viewer, platform).status_code == 403
    assert viewer.post("/orgs/demo/findings/fix-all/").status_code == 403
    assert table_counts() == before


def test_trying_a_fix_for_an_unknown_finding_answers_404(editor):
    before = table_counts()

    response = try_on_page(editor, "dependency.outside_ml_org:999999")

    assert response.status_code == 404
    assert table_counts() == before


# Trying one fix, on a large design: a worker makes the scenario -------------------------------


def test_a_large_design_tries_the_fix_through_a_job(large, editor, demo, platform):
    response = try_on_page(editor, platform)

    job = Job.objects.get(organisation=demo)
    assert response.status_code == 302
    assert response["Location"] == job_link(job)
    assert (job.kind, job.params["finding"], job.params["rank"], job.params["summary"]) == (
        "scenario_fix", platform, 1, PLATFORM_FIX
    )
    assert scenarios(demo) == []
    # Queued: the polled page goes on showing the job.
    queued = editor.get(job_link(job), headers={"HX-Request": "true"})
    assert "HX-Redirect" not in queued and 'data-job-state="queued"' in queued.content.decode()

    run_worker()

    job.refresh_from_db()
    scenario = the_scenario(demo)
    assert job.state == "done"
    assert (job.result["scenario"], job.result["changes"]) == (scenario.slug, 1)
    content = editor.get(job_link(job)).content.decode()
    assert 'data-job-state="done"' in content
    assert f'href="{compare_url(scenario, platform)}"' in content
    # The page polling the job opens the comparison by itself once it is done.
    polled = editor.get(job_link(job), headers={"HX-Request": "true"})
    assert polled["HX-Redirect"] == compare_url(scenario, platform)
    assert manager_name(scenario, "Dana Kim") == "Amara Okafor"
    assert manager_name(demo, "Dana Kim") == "Priya Shah"
    assert scenario.created_by == editor.user
    assert [door for door, _ in history_rows(editor, scenario, "person")] == ["browser"] * 2
    fixed = editor.get(compare_url(scenario, platform)).content.decode()
    assert 'data-tried-fixed="true"' in tried_section(fixed)


def test_a_large_design_refuses_a_stale_choice_before_queueing(large, editor, platform):
    before = table_counts()

    response = try_on_page(editor, platform, summary="Something read long ago.")

    assert response.status_code == 409
    assert "The design changed since these fixes were proposed" in alert(response)
    assert table_counts() == before


def test_a_job_whose_finding_went_before_the_worker_ran_fails_and_makes_nothing(
    large, editor, demo, platform
):
    response = try_on_page(editor, platform)
    # Someone fixes it by hand before a worker gets to the job.
    people = Person.objects.filter(organisation=demo)
    services.person_update(person=people.get(name="Dana Kim"),
                           manager=people.get(name="Amara Okafor"))

    run_worker()

    job = Job.objects.get(organisation=demo)
    assert job.state == "failed"
    assert f"has no such finding now ({platform})" in job.error
    assert scenarios(demo) == []
    content = editor.get(response["Location"]).content.decode()
    assert "The job failed and nothing was written" in content


# Every error at once --------------------------------------------------------------------------

# The demo's errors with an automatic change, each fixed by one step of the plan (4 fixes
# of 5 changes).
# The feature store of the catalog comes first (its code sorts first): bringing ML Platform
# into the ML org fixes it, and ML Platform's dependency with it.
DEMO_FIXED = [
    "catalog.owner_outside_ml_org", "dependency.outside_ml_org", "pipeline.no_pm",
    "pipeline.stage_unowned",
]


def errors_of(organisation: Organisation) -> list:
    return [f for f in findings_of(organisation) if f.severity == "error"]


def manual_errors(organisation: Organisation) -> list:
    """The errors no change is made for automatically: the plan leaves them, and says so."""
    return [
        f for f in findings_of(organisation) if f.severity == "error" and f.code not in PROPOSERS
    ]


def test_the_fix_all_page_shows_the_plan(editor, demo):
    content = editor.get("/orgs/demo/findings/fix-all/").content.decode()

    errors = [f for f in findings_of(demo) if f.severity == "error"]
    automatic = len(errors) - len(manual_errors(demo))
    assert automatic == len(errors_with_remedies(demo)) >= len(DEMO_FIXED)
    assert (f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {escape(demo.name)}, "
            f"{automatic} with an automatic change.") in content
    assert "The plan: 4 fixes, 5 changes" in content
    assert re.findall(r'<li class="remedy" data-finding="([\w.]+)">', content) == DEMO_FIXED
    assert PLATFORM_FIX in content
    assert f"Errors left after it ({len(manual_errors(demo))})" in content
    assert '<form method="post" action="/orgs/demo/findings/fix-all/">' in content
    assert "<button type=\"submit\">Try all fixes in a scenario</button>" in content


def test_a_viewer_reads_the_plan_without_a_form(viewer):
    content = viewer.get("/orgs/demo/findings/fix-all/").content.decode()

    assert "The plan: 4 fixes, 5 changes" in content
    assert 'action="/orgs/demo/findings/fix-all/"' not in content


def assert_every_error_fixed(client, demo, location: str):
    """`location` is the comparison of the one scenario of every fix, which fixed them all."""
    scenario = the_scenario(demo)
    assert location == compare_url(scenario, "all")
    content = client.get(location).content.decode()
    assert 'data-tried="all"' in tried_section(content)
    left = manual_errors(scenario)
    if left:  # no change is made automatically for these: the page names them
        assert f"{len(left)} error{'s' if len(left) != 1 else ''} left:" in content
        assert sorted(re.findall(r'data-finding="([\w.]+)" data-left>', content)) == sorted(
            f.code for f in left)
    else:
        assert '<p data-left-count="0">No error is left in this scenario.</p>' in content
    assert errors_with_remedies(scenario) == []
    # The design itself is unchanged.
    still = Counter(code for code, _ in errors_with_remedies(demo))
    assert all(still[code] >= DEMO_FIXED.count(code) for code in DEMO_FIXED)
    fixed = compared(content, "fixed")
    assert all(fixed.count(code) >= DEMO_FIXED.count(code) for code in DEMO_FIXED)


def test_trying_all_fixes_leaves_no_error_in_the_scenario(editor, demo):
    response = editor.post("/orgs/demo/findings/fix-all/")

    assert response.status_code == 302
    assert_every_error_fixed(editor, demo, response["Location"])
    scenario = the_scenario(demo)
    assert scenario.name == f"{demo.name}, trying every fix for errors"
    assert scenario.created_by == editor.user
    assert {door for door, _ in history_rows(editor, scenario, "person")} == {"browser"}


def test_a_large_design_tries_all_fixes_through_a_job(large, editor, demo):
    page = editor.get("/orgs/demo/findings/fix-all/").content.decode()
    assert "is large: the plan is made by a worker" in page
    assert "The plan:" not in page

    response = editor.post("/orgs/demo/findings/fix-all/")

    job = Job.objects.get(organisation=demo)
    assert response["Location"] == job_link(job)
    assert job.params["all"] is True
    run_worker()
    job.refresh_from_db()
    scenario = the_scenario(demo)
    assert job.state == "done"
    assert (job.result["scenario"], job.result["changes"]) == (scenario.slug, 5)
    errors, left = len(errors_of(demo)), len(manual_errors(demo))
    assert job.result["plan"]["errors_after"] == left
    content = editor.get(job_link(job)).content.decode()
    assert (f"the best fix of 4 errors, {left} error{'s' if left != 1 else ''} left of "
            f"{errors}.") in content
    link = re.search(r'href="([^"]*\?tried=all)"', content).group(1)
    assert_every_error_fixed(editor, demo, link)


# A change refused by a service: nothing is left -----------------------------------------------


def refuse(*args, **kwargs):
    raise ValidationError(REFUSAL)


@pytest.fixture
def refusing_pms(demo, monkeypatch):
    """Pipelines refuse their updates (once the demo is seeded): the third change of every
    error's fixes is refused, after two managers were set in the scenario."""
    monkeypatch.setattr(pipeline_services, "pipeline_update", refuse)


@pytest.fixture
def refusing_managers(demo, monkeypatch):
    """People refuse a new manager (once the demo is seeded)."""
    monkeypatch.setattr(services, "managers_set", refuse)


def test_a_refused_change_in_the_api_leaves_no_scenario(refusing_pms, writer, demo):
    before = table_counts()

    response = writer.post(api_url(demo, "findings/fix-all/"))

    assert response.status_code == 400
    assert REFUSAL in str(response.json())
    assert table_counts() == before


def test_a_refused_change_in_a_job_fails_it_and_leaves_no_scenario(
    refusing_pms, large, editor, demo
):
    response = editor.post("/orgs/demo/findings/fix-all/")
    run_worker()

    job = Job.objects.get(organisation=demo)
    assert job.state == "failed"
    assert REFUSAL in job.error
    assert scenarios(demo) == []
    assert Organisation.objects.count() == 1
    assert "The job failed and nothing was written" in editor.get(
        response["Location"]).content.decode()


def test_a_refused_change_in_the_page_leaves_no_scenario(refusing_managers, editor, platform):
    before = table_counts()
    editor.raise_request_exception = False

    response = try_on_page(editor, platform)

    assert response.status_code >= 400
    assert table_counts() == before


def test_a_refused_change_in_the_page_says_why(refusing_managers, editor, platform):
    response = try_on_page(editor, platform)

    assert response.status_code in (400, 409)
    assert REFUSAL in alert(response)


# The API --------------------------------------------------------------------------------------


def test_the_api_gives_the_remedies_of_a_finding(reader, demo, platform):
    response = reader.get(api_url(demo, f"findings/{platform}/remedies/"))

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"finding", "automatic", "fix", "remedies"}
    assert body["finding"]["key"] == platform
    assert body["finding"]["code"] == "dependency.outside_ml_org"
    assert body["finding"]["subject"]["name"] == "ML Platform"
    assert body["automatic"] is True
    assert body["fix"] == CATALOGUE["dependency.outside_ml_org"].fix
    [remedy] = body["remedies"]
    assert set(remedy) == {"rank", "summary", "changes", "fixed", "introduced"}
    assert (remedy["rank"], remedy["summary"]) == (1, PLATFORM_FIX)
    [change] = remedy["changes"]
    people = Person.objects.filter(organisation=demo)
    assert change == {
        "action": "set_manager",
        "subject": {"type": "person", "id": people.get(name="Dana Kim").pk, "name": "Dana Kim"},
        "to": {"type": "person", "id": people.get(name="Amara Okafor").pk,
               "name": "Amara Okafor"},
        "words": "Dana Kim reports to Amara Okafor (bringing ML Platform into the ML org).",
    }
    assert platform in [dict_key(f) for f in remedy["fixed"]]
    assert remedy["introduced"] == []


def test_the_api_says_when_no_change_is_automatic(reader, demo):
    key = key_of(demo, "team.kpi_output_volume", "Labeling Ops")

    body = reader.get(api_url(demo, f"findings/{key}/remedies/")).json()

    assert (body["automatic"], body["remedies"]) == (False, [])
    assert body["fix"] == CATALOGUE["team.kpi_output_volume"].fix


def test_the_api_names_a_finding_by_its_position_too(reader, demo):
    first = reader.get(api_url(demo, "findings/")).json()["results"][0]

    body = reader.get(api_url(demo, "findings/0/remedies/")).json()

    assert body["finding"]["key"] == dict_key(first)
    assert {k: body["finding"][k] for k in first} == first


@pytest.mark.parametrize("key", ["nope", "99", "dependency.outside_ml_org:999999"])
def test_the_api_answers_404_for_an_unknown_finding(reader, writer, demo, key):
    before = table_counts()

    assert reader.get(api_url(demo, f"findings/{key}/remedies/")).status_code == 404
    response = writer.post(api_url(demo, f"findings/{key}/remedies/"), {"rank": 1},
                           format="json")
    assert response.status_code == 404
    assert "has no such finding now" in response.json()["detail"]
    assert table_counts() == before


def test_a_read_token_cannot_try_a_fix(reader, demo, platform):
    before = table_counts()

    assert reader.post(api_url(demo, f"findings/{platform}/remedies/"), {"rank": 1},
                       format="json").status_code == 403
    assert reader.post(api_url(demo, "findings/fix-all/")).status_code == 403
    assert table_counts() == before


def test_a_write_token_tries_a_fix_and_compares_it(writer, viewer, demo, platform):
    response = writer.post(api_url(demo, f"findings/{platform}/remedies/"),
                           {"rank": 1, "summary": PLATFORM_FIX}, format="json")

    body = response.json()
    scenario = the_scenario(demo)
    assert response.status_code == 201
    assert body == {
        "scenario": scenario.slug, "name": scenario.name, "changes": 1, "planned": False,
        "compare": api_url(demo, f"compare/{scenario.slug}/"),
    }
    assert manager_name(scenario, "Dana Kim") == "Amara Okafor"
    assert manager_name(demo, "Dana Kim") == "Priya Shah"
    # A token is no member: nobody is granted the scenario; the token reaches it by compare.
    assert not OrganisationAccess.objects.filter(organisation=scenario).exists()
    # ...and the origin's members see it with their role there, as any other scenario.
    page = viewer.get(f"/orgs/{scenario.slug}/")
    assert page.status_code == 200 and scenario.name in page.content.decode()
    compare = writer.get(body["compare"])
    assert compare.status_code == 200
    assert platform in [dict_key(f) for f in compare.json()["findings"]["fixed"]]
    entry = Person.objects.get(organisation=scenario, name="Dana Kim").history.latest(
        "history_date")
    assert (entry.updated_via, entry.updated_by_token_id) == ("api", writer.token.pk)


def test_the_api_refuses_a_rank_out_of_range(writer, demo, platform):
    before = table_counts()

    for rank in (0, 5):
        response = writer.post(api_url(demo, f"findings/{platform}/remedies/"),
                               {"rank": rank}, format="json")
        assert response.status_code == 400
    assert "Choose a fix from 1 to 1, not 5." in str(response.json())
    assert table_counts() == before


def test_the_api_refuses_a_stale_choice_with_409(writer, demo, platform):
    response = writer.post(api_url(demo, f"findings/{platform}/remedies/"),
                           {"rank": 1, "summary": "Read long ago."}, format="json")

    assert response.status_code == 409
    assert scenarios(demo) == []


def test_the_api_refuses_a_stale_choice_on_a_large_design_with_409(large, writer, demo,
                                                                   platform):
    before = table_counts()

    response = writer.post(api_url(demo, f"findings/{platform}/remedies/"),
                           {"rank": 1, "summary": "Read long ago."}, format="json")

    assert response.status_code == 409
    assert "The design changed since" in response.json()["detail"]
    assert table_counts() == before


def test_a_large_design_answers_202_and_a_worker_tries_the_fix(large, writer, demo, platform):
    response = writer.post(api_url(demo, f"findings/{platform}/remedies/"),
                           {"rank": 1, "summary": PLATFORM_FIX}, format="json")

    job = Job.objects.get(organisation=demo)
    assert response.status_code == 202
    assert response["Location"] == response.json()["location"] == api_url(demo,
                                                                         f"jobs/{job.uid}/")
    assert scenarios(demo) == []
    run_worker()
    state = writer.get(response["Location"]).json()
    scenario = the_scenario(demo)
    assert state["state"] == "done"
    assert (state["result"]["scenario"], state["result"]["changes"]) == (scenario.slug, 1)
    compare = writer.get(api_url(demo, f"compare/{scenario.slug}/")).json()
    assert platform in [dict_key(f) for f in compare["findings"]["fixed"]]
    entry = Person.objects.get(organisation=scenario, name="Dana Kim").history.latest(
        "history_date")
    assert (entry.updated_via, entry.updated_by_token_id) == ("api", writer.token.pk)


def test_the_api_plans_every_fix(reader, demo):
    plan = reader.get(api_url(demo, "findings/fix-all/")).json()

    assert set(plan) == {"steps", "left", "errors_before", "errors_after"}
    left = manual_errors(demo)
    assert (plan["errors_before"], plan["errors_after"]) == (len(errors_of(demo)), len(left))
    assert sorted(f["key"] for f in plan["left"]) == sorted(f.key for f in left)
    assert not any(f["automatic"] for f in plan["left"])
    assert [step["rank"] for step in plan["steps"]] == [1, 2, 3, 4]
    keys = [step["finding"]["key"] for step in plan["steps"]]
    # One step a fix, each for an error with an automatic change (one may fix another).
    assert set(keys) <= {f.key for f in errors_of(demo) if f.code in PROPOSERS}
    assert len(keys) == len(DEMO_FIXED)
    assert PLATFORM_FIX in [step["summary"] for step in plan["steps"]]
    assert all(step["changes"] and step["finding"]["key"] in [dict_key(f) for f in step["fixed"]]
               for step in plan["steps"])


def test_a_write_token_tries_every_fix(writer, demo):
    response = writer.post(api_url(demo, "findings/fix-all/"))

    body = response.json()
    scenario = the_scenario(demo)
    assert response.status_code == 201
    assert (body["scenario"], body["changes"]) == (scenario.slug, 5)
    assert body["compare"] == api_url(demo, f"compare/{scenario.slug}/")
    assert (body["plan"]["errors_before"], body["plan"]["errors_after"]) == (
        len(errors_of(demo)), len(manual_errors(demo)))
    assert errors_with_remedies(scenario) == []
    fixed = [dict_key(f) for f in writer.get(body["compare"]).json()["findings"]["fixed"]]
    assert {step["finding"]["key"] for step in body["plan"]["steps"]} <= set(fixed)


def test_a_large_design_answers_202_to_every_fix(large, writer, demo):
    response = writer.post(api_url(demo, "findings/fix-all/"))

    assert response.status_code == 202
    run_worker()
    state = writer.get(response["Location"]).json()
    assert state["state"] == "done"
    assert errors_with_remedies(Organisation.objects.get(slug=state["result"]["scenario"])) == []


# Queries --------------------------------------------------------------------------------------

# The design's analysis is kept by its version (orgdesign.analysis.kept): the page reads the
# session, the user, the organisation with the user's role; the API the token (with its
# organisation) and the rate count. Ranking the remedies asks no query.
PAGE_QUERIES = 3
API_QUERIES = 2
# The first read of a version loads the design: the organisation's version again, then one
# query per table (people, teams, memberships, pipelines, engagements, positions, and the
# software catalog: the demo and the generated designs have one).
FIRST_READ = 8


@pytest.fixture(params=["demo", "generated"])
def design(request) -> tuple[Organisation, str]:
    """A design and the key of a finding with remedies in it."""
    if request.param == "demo":
        organisation = request.getfixturevalue("demo")
    else:
        organisation = OrganisationFactory()
        generate_org(organisation, people=1000, teams=40, pipelines=60, seed=3)
    reader = token_client(organisation, "read")
    for finding in findings_of(organisation):
        if finding.code in PROPOSERS:
            key = finding.key
            if reader.get(api_url(organisation, f"findings/{key}/remedies/")).json()["remedies"]:
                return organisation, key
    raise AssertionError("no finding with remedies")


def test_the_remedies_page_runs_a_fixed_number_of_queries(design, django_assert_num_queries):
    organisation, key = design
    client = client_for(organisation, "editor")
    url = remedies_url(key, organisation.slug)
    client.get(url)  # warm-up
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(url).status_code == 200
    forget_all()
    with django_assert_num_queries(PAGE_QUERIES + FIRST_READ):
        assert "Try this fix" in client.get(url).content.decode()


def test_the_api_remedies_run_a_fixed_number_of_queries(design, django_assert_num_queries):
    organisation, key = design
    client = token_client(organisation, "read")
    url = api_url(organisation, f"findings/{key}/remedies/")
    client.get(url)  # warm-up
    with django_assert_num_queries(API_QUERIES):
        assert client.get(url).json()["remedies"]
    forget_all()
    with django_assert_num_queries(API_QUERIES + FIRST_READ):
        assert client.get(url).status_code == 200


def test_the_pipeline_page_offers_its_findings_fixes(editor, viewer, demo):
    podcast = Pipeline.objects.get(organisation=demo, name="Podcast recommendations")
    key = key_of(demo, "pipeline.no_pm", "Podcast recommendations")
    page = f"/orgs/demo/pipelines/{podcast.pk}/"

    content = editor.get(page).content.decode()
    assert f'<form method="post" action="{remedies_url(key)}" class="inline">' in content
    assert f'<a href="{remedies_url(key)}" data-remedies>See the fixes</a>' in content
    # Read only: the link, without the button.
    content = viewer.get(page).content.decode()
    assert f'<form method="post" action="{remedies_url(key)}"' not in content
    assert f'<a href="{remedies_url(key)}" data-remedies>See the fixes it would take</a>' in (
        content)
