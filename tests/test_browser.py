"""Real-browser tests: Playwright driving Debian's Chromium against the live server.

Skipped, with the reason, on a machine without /usr/bin/chromium (`.ci/run` installs it).
"""

import datetime
import os
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from pipelines import services as pipeline_services
from pipelines.models import Engagement, Pipeline, Position
from teams import services
from teams.models import Membership, Organisation, Person, Team
from tests.axe import axe_results
from tests.factories import UserFactory
from tests.worker import run_worker

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM),
        reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does)",
    ),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the test's own database
    # calls around it are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db, settings, demo_restorer):
    """The demo as `make run` seeds it (DEBUG on: with the demo login), from its snapshot."""
    settings.DEBUG = True
    return demo_restorer()


def logged_in(browser, live_server, organisation, username: str, role: str):
    """A browser context and page of a new login with `role` in `organisation`, logged in
    through the login form."""
    user = UserFactory(username=username)
    services.access_grant(organisation=organisation, user=user, role=role)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    return context, page


@pytest.fixture
def page(browser, live_server, demo):
    """A page logged in as an editor of the demo."""
    context, page = logged_in(browser, live_server, demo, "ada", "editor")
    yield page
    context.close()


def serious_violations(page) -> list[str]:
    # A page that draws (the org chart) is checked once drawn and still: mid-animation boxes
    # are half transparent, and their colours would be judged as such.
    if page.locator("#org-picture").count():
        page.wait_for_selector('#org-picture[data-ready="true"]', timeout=10_000)
    result = axe_results(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {[node['target'] for node in violation['nodes']][:3]}"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def test_log_in_set_a_cell_to_owner_and_see_the_unowned_stage_go(page, demo):
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    deployment = Team.objects.get(organisation=demo, name="Model Deployment")
    pipeline_services.engagement_set(pipeline=search, team=deployment, role=None)

    page.goto("/orgs/demo/")
    row = page.locator(f"#row-{search.pk}")
    sync_api.expect(row.locator('[data-finding="pipeline.stage_unowned"]')).to_have_count(1)
    page.evaluate("window.notReloaded = true")

    row.locator(f'td[data-team="{deployment.pk}"] button').click()

    sync_api.expect(row.locator(f'td[data-team="{deployment.pk}"]')).to_have_text("owner")
    sync_api.expect(row.locator('[data-finding="pipeline.stage_unowned"]')).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True
    assert Engagement.objects.get(pipeline=search, team=deployment).role == "owner"


def test_a_click_anywhere_in_a_tall_cell_cycles_its_role(page, demo):
    """A row grows with its stage strip; the cell's button fills the cell, so a click low in
    it, far from the word, answers too."""
    feed = Pipeline.objects.get(organisation=demo, name="Podcast recommendations")
    tooling = Team.objects.get(organisation=demo, name="ML Tooling")
    page.goto("/orgs/demo/")
    cell = page.locator(f'#row-{feed.pk} td[data-team="{tooling.pk}"]')
    box = cell.bounding_box()
    word = cell.locator("button").bounding_box()
    assert box["height"] > 40, "the row should be taller than one line"
    assert word["height"] >= box["height"] - 2, "the button should fill the cell"
    # Low in the cell, far below the word (Playwright waits for the page to take clicks).
    cell.locator("button").click(position={"x": word["width"] / 2, "y": word["height"] - 5})
    sync_api.expect(cell).to_have_text("owner")
    assert Engagement.objects.get(pipeline=feed, team=tooling).role == "owner"


def test_an_effort_is_typed_beside_the_role_and_the_capacity_follows(page, demo):
    feed = Pipeline.objects.get(organisation=demo, name="Home feed ranking")
    ranking = Team.objects.get(organisation=demo, name="Ranking Models")
    page.goto("/orgs/demo/")
    page.evaluate("window.notReloaded = true")
    cell = page.locator(f'#row-{feed.pk} td[data-team="{ranking.pk}"]')
    effort = cell.locator("input.effort")
    sync_api.expect(effort).to_have_value("60")
    effort.fill("45")
    # The change is sent when the input is left; the row comes back from the server.
    with page.expect_response(lambda r: f"/cells/{feed.pk}/{ranking.pk}/" in r.url
                              and r.request.method == "POST") as answer:
        effort.press("Tab")
    assert answer.value.status == 200
    sync_api.expect(page.locator(f'#row-{feed.pk} td[data-team="{ranking.pk}"] input.effort')
                    ).to_have_value("45")
    sync_api.expect(page.locator(f'#row-{feed.pk} td[data-team="{ranking.pk}"]')
                    ).to_contain_text("owner")
    assert page.evaluate("window.notReloaded") is True
    engagement = Engagement.objects.get(pipeline=feed, team=ranking)
    assert (engagement.role, engagement.effort) == ("owner", 45)
    # Ranking Models: 1.8 FTE; 45% of it goes to the feed now.
    page.goto("/orgs/demo/capacity/")
    row = page.locator(f'tr[data-pipeline="{feed.pk}"] td[data-stage="modeling"]')
    sync_api.expect(row).to_have_attribute("data-fte", "0.8")
    assert serious_violations(page) == []


def test_an_open_position_is_filled_from_its_page(page, demo):
    seat = Position.objects.get(organisation=demo, team__name="Checkout Squad")
    page.goto("/orgs/demo/positions/")
    row = page.locator(f'tr[data-position="{seat.pk}"]')
    row.get_by_role("link", name="Fill…").click()
    page.get_by_label("Person", exact=True).fill("Ravi")
    page.locator("#picker-person-results button", has_text="Ravi Patel").click()
    sync_api.expect(page.locator("#picker-person .picker-chosen")).to_contain_text("Ravi Patel")
    page.get_by_role("button", name="Fill position").click()
    sync_api.expect(page.locator(".page-head")).to_contain_text("Filled by Ravi Patel")
    seat.refresh_from_db()
    ravi = demo.people.get(name="Ravi Patel")
    assert (seat.status, seat.person_id) == ("filled", ravi.pk)
    assert Membership.objects.get(person=ravi, team=seat.team).allocation == seat.fte
    assert serious_violations(page) == []
    # The matrix no longer shows the seat; the history shows the fill.
    page.goto("/orgs/demo/")
    sync_api.expect(page.locator(f'[data-position="{seat.pk}"]')).to_have_count(0)


def test_a_roster_nothing_knows_is_mapped_column_by_column_in_the_preview(page, demo,
                                                                         tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"Staff No,Full Name,Boss No,Role Title\n"
                       b"S1,Maya Okafor,,VP\nS2,Tom Reed,S1,ML Engineer\n")
    page.goto("/orgs/demo/import/")
    page.get_by_label("People file (CSV)").set_input_files(str(roster))
    page.get_by_role("button", name="Preview people").click()
    page.wait_for_selector("[data-import-state=refused] [data-mapping]")
    assert serious_violations(page) == []
    # Each choice reads the file again at once; the last one makes it previewable.
    for position, field in enumerate(["external_id", "name", "manager_external_id", "title"]):
        choice = page.locator(f"#map-{position}")
        if choice.input_value() == field:
            continue  # read so already (a header the importer knows)
        with page.expect_response(lambda r: "/import/people/columns/" in r.url):
            choice.select_option(field)
        # The step comes back read again: the next choice is made in the new one.
        sync_api.expect(page.locator(f"#map-{position}")).to_have_value(field)
        page.wait_for_load_state("networkidle")
    page.wait_for_selector("[data-import-state=preview]")
    sync_api.expect(page.locator('tr[data-column="2"]')).to_have_attribute(
        "data-read-as", "manager_external_id")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Apply 2 changes").click()
    page.wait_for_selector("[data-import-state=applied]")
    assert Person.objects.get(organisation=demo, external_id="S2").manager.name == "Maya Okafor"


def test_the_positions_and_level_pages_pass_axe(browser, live_server, demo):
    context, admin = logged_in(browser, live_server, demo, "root", "admin")
    for url in ("/orgs/demo/positions/", "/orgs/demo/settings/levels/", "/orgs/demo/capacity/",
                f"/orgs/demo/teams/{demo.teams.get(name='Model Deployment').pk}/"):
        admin.goto(url)
        assert serious_violations(admin) == [], url
    # A row of the list opens for editing in place and saves.
    admin.goto("/orgs/demo/positions/")
    seat = Position.objects.get(organisation=demo, team__name="Model Deployment")
    admin.locator(f'tr[data-position="{seat.pk}"]').get_by_role("link", name="Edit").click()
    row = admin.locator(f'tr[data-position="{seat.pk}"][data-editing]')
    row.get_by_label("Title").fill("SRE, inference")
    row.get_by_role("button", name="Save").click()
    sync_api.expect(admin.locator(f'tr[data-position="{seat.pk}"][data-status="open"]')
                    ).to_contain_text("SRE, inference")
    assert serious_violations(admin) == []
    context.close()
    seat.refresh_from_db()
    assert seat.title == "SRE, inference"


def test_a_cell_is_changed_from_the_keyboard(page, demo):
    feed = Pipeline.objects.get(organisation=demo, name="Podcast recommendations")
    tooling = Team.objects.get(organisation=demo, name="ML Tooling")
    page.goto("/orgs/demo/")
    button = page.locator(f'#row-{feed.pk} td[data-team="{tooling.pk}"] button')
    button.focus()
    page.keyboard.press("Enter")
    sync_api.expect(page.locator(f'#row-{feed.pk} td[data-team="{tooling.pk}"]')).to_have_text(
        "owner"
    )
    # Focus is back on the changed cell (of the new row), so Enter goes on cycling.
    page.wait_for_function(
        "([pipeline, team]) => { const td = document.activeElement.closest('td');"
        " return td && td.dataset.pipeline === pipeline && td.dataset.team === team; }",
        arg=[str(feed.pk), str(tooling.pk)], timeout=5_000)
    page.keyboard.press("Enter")
    sync_api.expect(page.locator(f'#row-{feed.pk} td[data-team="{tooling.pk}"]')).to_have_text(
        "contributor"
    )


def test_a_manager_change_that_closes_a_cycle_is_refused_with_the_chain(page, demo):
    amara = demo.people.get(name="Amara Okafor")  # the ML head; Jonas Weber reports to her
    page.goto(f"/orgs/demo/people/{amara.pk}/")
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Manager", exact=True).fill("Jonas")
    page.locator("#picker-manager-results button", has_text="Jonas Weber").click()
    sync_api.expect(page.locator("#picker-manager .picker-chosen")).to_contain_text("Jonas Weber")
    page.get_by_role("button", name="Save", exact=True).first.click()

    error = page.locator("#picker-manager .field-error")
    sync_api.expect(error).to_contain_text("Amara Okafor → Jonas Weber → Amara Okafor")
    assert page.evaluate("window.notReloaded") is True
    amara.refresh_from_db()
    assert amara.manager.name == "Marcus Lee"


def test_the_export_link_downloads_the_matrix(page):
    page.goto("/orgs/demo/?lifecycle=production")
    with page.expect_download() as download_info:
        page.locator('a[data-export="matrix"]').click()
    download = download_info.value
    assert download.suggested_filename.startswith("demo-matrix-")
    body = Path(download.path()).read_text(encoding="utf-8")
    assert body.startswith("pipeline,pm_owner,lifecycle,")
    assert "Home feed ranking" in body
    assert "Podcast recommendations" not in body  # filtered like the page


def test_copy_the_demo_move_a_team_under_the_ml_head_and_see_its_dependency_fixed(page, demo):
    page.goto("/orgs/demo/scenarios/")
    page.get_by_label("Name").fill("Infra under ML")
    page.get_by_role("button", name=f"Copy {demo.name}").click()
    page.wait_for_url("**/jobs/*/")
    assert serious_violations(page) == []
    run_worker()
    # The job page polls: it shows the result without a reload.
    page.locator('[data-job-state="done"]').wait_for(timeout=10_000)
    page.get_by_role("link", name="Infra under ML").click()
    page.wait_for_url("**/orgs/infra-under-ml/")
    assert page.locator(".scenario-banner").is_visible()
    assert serious_violations(page) == []
    copy = Organisation.objects.get(slug="infra-under-ml")
    services.person_update(
        person=Person.objects.get(organisation=copy, name="Dana Kim"),
        manager=Person.objects.get(organisation=copy, name="Amara Okafor"),
    )

    page.get_by_role("link", name=f"Compare with {demo.name}").click()
    # The click only starts the navigation: count on the compare page, not the one before.
    page.wait_for_url("**/orgs/demo/compare/infra-under-ml/")

    fixed = page.locator('[data-compare="fixed"][data-finding="dependency.outside_ml_org"]')
    assert fixed.count() == 1
    assert "ML Platform" in fixed.inner_text()
    assert serious_violations(page) == []


def test_change_a_title_see_it_in_the_history_and_restore_the_earlier_one(page, demo):
    person = Person.objects.get(organisation=demo, name="Dana Kim")
    old_title = person.title
    page.goto(f"/orgs/demo/people/{person.pk}/")
    page.get_by_label("Title").fill("Head of Platform")
    page.get_by_role("button", name="Save").first.click()
    page.locator("#person-form").get_by_text("Saved").wait_for(timeout=5_000)

    page.goto("/orgs/demo/history/?kind=person")
    newest = page.locator('tr[data-history="person"]').first
    assert "Dana Kim" in newest.inner_text() and "ada" in newest.inner_text()
    assert newest.locator("ins").inner_text() == "Head of Platform"
    assert serious_violations(page) == []

    # Her page lists the same change; restoring the version before it brings the title back.
    page.goto(f"/orgs/demo/people/{person.pk}/")
    history = page.locator("#object-history")
    history.locator('tr[data-history="person"]').nth(1).get_by_role("button").click()
    page.get_by_role("status").get_by_text("Restored.").wait_for(timeout=5_000)
    person.refresh_from_db()
    assert person.title == old_title
    assert page.get_by_label("Title").input_value() == old_title


@pytest.mark.parametrize(
    "path", ["/orgs/demo/", "/orgs/demo/findings/", "/orgs/demo/people/", "/orgs/demo/teams/",
             "/orgs/demo/chart/", "/orgs/demo/structure/", "/orgs/demo/pipelines/",
             "/orgs/demo/scenarios/", "/orgs/demo/history/", "/orgs/demo/overview/",
             "/orgs/demo/?collapse=modeling", "/orgs/demo/import/", "/orgs/demo/settings/",
             "/orgs/demo/pipelines/{search}/", "/orgs/demo/members/", "/orgs/demo/nowhere/",
             "/orgs/demo/people/{dana}/", "/orgs/demo/teams/{platform}/",
             "/orgs/demo/findings/0/remedies/", "/orgs/demo/findings/fix-all/"]
)
def test_no_serious_accessibility_violation(page, demo, path, settings):
    settings.DEBUG = False  # the app's own error pages, not Django's debugging ones
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(path.format(**demo_ids(demo)))
    assert serious_violations(page) == []


def test_the_accessibility_check_does_catch_violations(page):
    # So a clean result above means something: an unlabelled input is a critical violation.
    page.goto("/orgs/demo/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', "
                  "'<input type=\"text\" id=\"unlabelled\">')")
    assert any(v.startswith("label ") for v in serious_violations(page))


# Every problem in its place, at any size, on any screen (issue 12) -------------------------

NARROW = {"width": 390, "height": 844}


def demo_ids(demo) -> dict:
    """The ids the demo's page addresses need."""
    return {
        "search": Pipeline.objects.get(organisation=demo, name="Search relevance").pk,
        "dana": Person.objects.get(organisation=demo, name="Dana Kim").pk,
        "platform": Team.objects.get(organisation=demo, name="ML Platform").pk,
        # A day of the demo's past (orgdesign.samples.demo.PAST), for ?as_of=.
        "past": (timezone.now() - datetime.timedelta(days=60)).date().isoformat(),
    }


DEMO_PAGES = ["/orgs/demo/", "/orgs/demo/findings/", "/orgs/demo/people/", "/orgs/demo/teams/",
              "/orgs/demo/chart/", "/orgs/demo/structure/", "/orgs/demo/pipelines/",
              "/orgs/demo/scenarios/", "/orgs/demo/history/", "/orgs/demo/import/",
              "/orgs/demo/settings/", "/orgs/demo/overview/", "/orgs/demo/pipelines/{search}/",
              "/orgs/demo/members/", "/orgs/demo/nowhere/", "/orgs/demo/people/{dana}/",
              "/orgs/demo/teams/{platform}/", "/orgs/demo/findings/0/remedies/",
              "/orgs/demo/findings/fix-all/", "/", "/orgs/demo/health/",
              "/orgs/demo/?as_of={past}", "/orgs/demo/chart/?as_of={past}",
              "/orgs/demo/catalog/"]


def test_the_unowned_stage_is_marked_visibly_inside_its_row(page, demo):
    page.goto("/orgs/demo/")
    search = Pipeline.objects.get(organisation=demo, name="Search relevance")
    marker = page.locator(f'tr#row-{search.pk} [data-finding="pipeline.stage_unowned"]'
                          '[data-stage="deployment"]')
    sync_api.expect(marker).to_be_visible()
    # Its words show on keyboard focus of its link (to its fixes), in the top layer: inside
    # the viewport, not clipped.
    marker.locator("a").focus()
    tip = page.locator("#tip")
    sync_api.expect(tip).to_be_visible()
    assert "No team owns the deployment stage" in tip.inner_text()
    box = tip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= page.viewport_size["width"]


def test_a_large_matrix_keeps_team_and_pipeline_names_in_view(page, demo):
    call_command("generate_org", "wide", "--people", "2000", "--teams", "80", "--pipelines",
                 "120", "--seed", "4", verbosity=0)
    wide = Organisation.objects.get(slug="wide")
    # The page's login is ada's: she sees the generated design too.
    services.access_grant(organisation=wide, user=get_user_model().objects.get(username="ada"),
                          role="viewer")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/orgs/wide/")
    box = page.locator(".matrix-scroll")
    box.evaluate("box => box.scrollBy(3000, 2000)")
    assert box.evaluate("box => box.scrollLeft") >= 3000
    assert box.evaluate("box => box.scrollTop") >= 2000
    page.wait_for_timeout(100)

    def in_view(locator) -> bool:
        return locator.evaluate(
            """element => {
                const r = element.getBoundingClientRect();
                const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth
                    && (hit === element || element.contains(hit));
            }""")

    team_names = page.locator("thead th.team a.team-name")
    pipeline_names = page.locator("tbody th[scope=row] > a")
    assert any(in_view(team_names.nth(i)) for i in range(team_names.count()))
    assert any(in_view(pipeline_names.nth(i)) for i in range(pipeline_names.count()))


@pytest.mark.parametrize("path", DEMO_PAGES)
def test_every_page_fits_a_phone_without_sideways_scrolling(page, demo, path, settings):
    settings.DEBUG = False  # the app's own error pages, not Django's debugging ones
    page.set_viewport_size(NARROW)
    page.goto(path.format(**demo_ids(demo)))
    if page.locator("#org-picture").count():
        page.wait_for_selector('#org-picture[data-ready="true"]', timeout=10_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    assert serious_violations(page) == []


def test_the_navigation_folds_into_a_menu_on_a_phone(page):
    page.set_viewport_size(NARROW)
    page.goto("/orgs/demo/")
    people = page.locator("#org-nav").get_by_role("link", name="People")
    sync_api.expect(people).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    sync_api.expect(people).to_be_visible()
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    people.click()
    page.wait_for_url("**/people/")


def test_a_refused_save_puts_focus_on_the_first_field_in_error(page, demo):
    person = Person.objects.get(organisation=demo, name="Dana Kim")
    page.goto(f"/orgs/demo/people/{person.pk}/")
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save").first.click()
    sync_api.expect(page.get_by_label("Name")).to_be_focused()


def test_the_skip_link_leads_to_the_matrix(page):
    page.goto("/orgs/demo/")
    link = page.get_by_role("link", name="Skip to the matrix")
    link.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The next stop is inside the matrix, not 40 links of navigation and filters away.
    assert page.evaluate("() => !!document.activeElement.closest('#matrix-table')")


# The org chart as a picture (issue 13) --------------------------------------------------------


def test_the_chart_opens_readable_around_the_ml_head_and_fits_to_both_dependency_leads(
    page, demo
):
    page.goto("/orgs/demo/chart/")
    picture = page.locator("#org-picture")
    page.wait_for_selector('#org-picture[data-ready="true"]', timeout=10_000)
    data = page.evaluate("async url => (await fetch(url)).json()", "/orgs/demo/chart/data/")
    boxes = picture.locator("svg [data-person]")
    # A box per person sent, a line per reporting line among them.
    sync_api.expect(boxes).to_have_count(len(data["nodes"]))
    # (Counted by their course: the library redraws a line in place when it centres a box.)
    lines = page.evaluate("() => new Set([...document.querySelectorAll("
                          "'#org-picture svg path.reporting-line')].map(p => p.getAttribute('d')))"
                          ".size")
    # The open seats hang under their teams' leads, dashed boxes of their own.
    assert data["seats"], "the demo's first view shows a lead with an open seat"
    sync_api.expect(picture.locator("svg [data-position]")).to_have_count(len(data["seats"]))
    assert lines == len(data["nodes"]) + len(data["seats"]) - 1
    area = picture.locator(".org-picture-canvas").bounding_box()

    def in_view(box) -> bool:
        return (area["x"] <= box["x"] and box["x"] + box["width"] <= area["x"] + area["width"]
                and area["y"] <= box["y"]
                and box["y"] + box["height"] <= area["y"] + area["height"])

    # It opens around the ML head, at a size its words can be read at (not the whole tree
    # shrunk to fit, its text a few pixels high).
    head = picture.locator(f'svg [data-person="{demo.ml_head_id}"]')
    assert in_view(head.bounding_box())
    name = head.locator(".oc-name").bounding_box()
    assert name["height"] >= 10, f"the ML head's name is {name['height']:.1f} px high"
    # "Fit to screen" shows the whole tree, both leads of teams outside the ML org included.
    page.get_by_role("button", name="Fit to screen").click()
    for person_name in ("Dana Kim", "Yuki Tanaka"):
        person = Person.objects.get(organisation=demo, name=person_name)
        box = picture.locator(f'svg [data-person="{person.pk}"]')
        sync_api.expect(box).to_be_visible()  # drawn without a click
        page.wait_for_function(
            "([id, area]) => { const r = document.querySelector("
            "`#org-picture svg [data-person=\"${id}\"]`).getBoundingClientRect();"
            " return r.left >= area.x && r.right <= area.x + area.width"
            " && r.top >= area.y && r.bottom <= area.y + area.height; }",
            arg=[str(person.pk), area], timeout=5_000)
        assert box.locator('[data-finding="dependency.outside_ml_org"]').count() == 1
    assert serious_violations(page) == []


def test_the_chart_downloads_as_svg_with_the_dependency_leads(page, demo):
    open_chart(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download SVG").click()
    path = download.value.path()
    from xml.etree import ElementTree

    text = Path(path).read_text()
    root = ElementTree.fromstring(text)  # it parses
    assert root.tag.endswith("svg")
    for name in ("Dana Kim", "Yuki Tanaka"):
        assert name in text


def test_the_side_list_centres_the_chart_on_a_person(page, demo):
    open_chart(page)
    dana = Person.objects.get(organisation=demo, name="Dana Kim")
    page.locator(f'[data-centre="{dana.pk}"]').click()
    sync_api.expect(page.locator("[data-chart-status]")).to_have_text("Centred on Dana Kim.")
    box = page.locator(f'#org-picture svg [data-person="{dana.pk}"]').bounding_box()
    canvas = page.locator(".org-picture-canvas").bounding_box()
    centre_x = box["x"] + box["width"] / 2
    assert canvas["x"] < centre_x < canvas["x"] + canvas["width"]


def open_chart(page):
    """The demo's chart on a desktop screen, drawn, still, fitted to the screen (it opens
    around the ML head) and scrolled into view."""
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto("/orgs/demo/chart/")
    page.wait_for_selector('#org-picture[data-ready="true"]', timeout=10_000)
    page.get_by_role("button", name="Fit to screen").click()
    page.wait_for_timeout(800)  # the library animates the fit
    page.locator(".org-picture-canvas").scroll_into_view_if_needed()


def chart_box(page, person):
    return page.locator(f'#org-picture svg .oc-node[data-person="{person.pk}"]')


def test_dragging_a_person_onto_their_own_report_is_refused_with_the_chain(page, demo):
    open_chart(page)
    head = demo.ml_head
    report = Person.objects.filter(manager=head, active=True).order_by("name").first()
    chart_box(page, head).drag_to(chart_box(page, report))
    status = page.locator("[data-chart-status]")
    sync_api.expect(status).to_contain_text("loop")
    assert head.name in status.inner_text() and report.name in status.inner_text()
    head.refresh_from_db()
    assert head.manager_id != report.pk


def test_a_drag_changes_the_manager_shows_in_the_findings_and_undoes(page, demo):
    open_chart(page)
    dana = Person.objects.get(organisation=demo, name="Dana Kim")
    previous = dana.manager_id
    chart_box(page, dana).drag_to(chart_box(page, demo.ml_head))
    status = page.locator("[data-chart-status]")
    sync_api.expect(status).to_contain_text(f"Dana Kim now reports to {demo.ml_head.name}.")
    dana.refresh_from_db()
    assert dana.manager_id == demo.ml_head.pk
    # Her team is inside the ML org now: its dependency finding is gone from her box...
    sync_api.expect(chart_box(page, dana).locator(
        '[data-finding="dependency.outside_ml_org"]')).to_have_count(0)
    # ...and from the findings page.
    findings = page.context.new_page()
    findings.goto("/orgs/demo/findings/?code=dependency.outside_ml_org")
    # (ML Platform stays in the team filter: a finding of the catalog names it as an owner.)
    listed = " ".join(findings.locator("li.finding").all_inner_texts())
    assert "ML Platform" not in listed and "Applied Research" in listed
    findings.close()
    status.get_by_role("button", name="Undo").click()
    sync_api.expect(status).to_contain_text("Dana Kim now reports to")
    dana.refresh_from_db()
    assert dana.manager_id == previous


def test_a_manager_is_changed_from_the_keyboard_too(page, demo):
    open_chart(page)
    dana = Person.objects.get(organisation=demo, name="Dana Kim")
    chart_box(page, dana).get_by_role("button", name="Move…").focus()
    page.keyboard.press("Enter")
    target = chart_box(page, demo.ml_head).get_by_role("button", name="Make manager of Dana Kim")
    target.focus()
    page.keyboard.press("Enter")
    sync_api.expect(page.locator("[data-chart-status]")).to_contain_text("now reports to")
    dana.refresh_from_db()
    assert dana.manager_id == demo.ml_head.pk


def test_a_viewer_sees_the_chart_but_cannot_move_anyone(browser, live_server, demo):
    context, page = logged_in(browser, live_server, demo, "vera", "viewer")
    open_chart(page)
    assert page.locator('#org-picture .oc-node[draggable="true"]').count() == 0
    assert page.get_by_role("button", name="Move…").count() == 0
    context.close()


def test_reports_not_drawn_yet_load_on_demand(page, demo):
    open_chart(page)
    vp = Person.objects.get(organisation=demo, name="Olivia Chen")
    reports = list(Person.objects.filter(manager=vp))
    assert reports and page.locator(
        f'#org-picture svg .oc-node[data-person="{reports[0].pk}"]').count() == 0
    chart_box(page, vp).get_by_role("button", name=f"Show {len(reports)} reports").click()
    for report in reports:
        sync_api.expect(chart_box(page, report)).to_have_count(1)


def test_the_chart_downloads_as_png_and_prints_without_its_controls(page, demo):
    open_chart(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PNG").click()
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.emulate_media(media="print")
    assert page.locator(".org-picture-tools").is_hidden()
    assert page.locator(".topbar").is_hidden()
    assert page.locator(".org-picture-canvas").is_visible()
    dana = Person.objects.get(organisation=demo, name="Dana Kim")
    sync_api.expect(chart_box(page, dana)).to_be_visible()


def test_the_whole_ml_org_downloads_as_svg(page, demo):
    # Two levels below the deepest of the demo: deeper than the chart's first view opens.
    mia = Person.objects.get(organisation=demo, name="Mia Novak")
    deep = services.person_create(organisation=demo, name="Deep Report", manager=mia)
    deeper = services.person_create(organisation=demo, name="Deeper Report", manager=deep)
    open_chart(page)
    assert chart_box(page, deeper).count() == 0
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the whole ML org (SVG)").click()
    text = Path(download.value.path()).read_text()
    from xml.etree import ElementTree

    ElementTree.fromstring(text)
    assert "Deeper Report" in text and "Mia Novak" in text


def test_finding_someone_outside_the_tree_offers_their_own_chart(page, demo):
    services.person_create(organisation=demo, name="Lone Contractor")
    open_chart(page)
    page.get_by_label("Find a person").fill("Lone Contractor")
    page.locator("[data-chart-find]").get_by_role("button", name="Find").click()
    status = page.locator("[data-chart-status]")
    sync_api.expect(status).to_contain_text("not under the top of the organisation")
    status.get_by_role("link", name="Open the chart of their tree").click()
    page.wait_for_url("**/chart/?root=*")


def test_an_unowned_stage_is_marked_in_its_row_on_an_80_team_matrix(page, demo):
    from orgdesign.analysis.kept import analyse_afresh
    from orgdesign.analysis.matrix import MatrixFilters, filter_pipelines, rows_per_page

    call_command("generate_org", "wide", "--people", "2000", "--teams", "80", "--pipelines",
                 "120", "--seed", "4", verbosity=0)
    wide = Organisation.objects.get(slug="wide")
    services.access_grant(organisation=wide, user=get_user_model().objects.get(username="ada"),
                          role="viewer")
    analysis = analyse_afresh(wide)
    index, findings = analysis.index, analysis.findings
    unowned = next(f for f in findings if f.code == "pipeline.stage_unowned")
    # Seed 4 gives the generated design a stage nobody owns; find it and the page of its row.
    order = [p.id for p in filter_pipelines(index, findings, MatrixFilters())]
    number = order.index(unowned.subject.id) // rows_per_page(len(index.data.teams)) + 1
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/orgs/wide/?page={number}")
    marker = page.locator(f'tr#row-{unowned.subject.id} [data-finding="pipeline.stage_unowned"]'
                          f'[data-stage="{unowned.stage}"]')
    marker.scroll_into_view_if_needed()
    sync_api.expect(marker).to_be_visible()
    # The pipeline column is pinned: after scrolling the matrix far right it is still there.
    page.locator(".matrix-scroll").evaluate("box => box.scrollBy(3000, 0)")
    sync_api.expect(marker).to_be_in_viewport()


def test_no_page_breaks_the_content_security_policy(page, demo):
    """Every script the pages run comes from the app's files, with no eval: Chromium reports
    any violation of the policy on the console."""
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    person = demo.people.filter(manager__isnull=False).first()
    for url in ("/orgs/demo/", "/orgs/demo/findings/", "/orgs/demo/people/",
                f"/orgs/demo/people/{person.pk}/", "/orgs/demo/chart/", "/api/docs/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if url.endswith("/chart/"):
            page.wait_for_selector('#org-picture[data-ready="true"]', timeout=10_000)
        if url.endswith("/docs/"):
            page.wait_for_selector(".swagger-ui .info", timeout=10_000)
    assert violations == []


# Try a fix (issue 17) --------------------------------------------------------------------------


def test_try_this_fix_on_the_outside_dependency_opens_a_compare_with_it_fixed(page, demo):
    page.goto("/orgs/demo/findings/")
    finding = page.locator('li[data-finding="dependency.outside_ml_org"]').filter(
        has_text="ML Platform"
    )
    finding.get_by_role("button", name="Try this fix").click()
    page.wait_for_url("**/compare/**")
    banner = page.locator("[data-tried]")
    assert banner.get_attribute("data-tried-fixed") == "true"
    assert "ML Platform" in banner.inner_text()
    fixed = page.locator('[data-compare="fixed"][data-tried-finding]')
    assert fixed.get_attribute("data-finding") == "dependency.outside_ml_org"
    assert "ML Platform" in fixed.inner_text()
    assert serious_violations(page) == []
    # The fix was made in a scenario of the demo, not in the demo.
    scenario = Organisation.objects.get(scenario_of=demo)
    assert Person.objects.get(organisation=scenario, name="Dana Kim").manager.name == (
        "Amara Okafor")
    assert Person.objects.get(organisation=demo, name="Dana Kim").manager.name == "Priya Shah"


def test_the_unowned_stage_in_the_matrix_leads_to_its_fixes_and_a_tried_one(page, demo):
    page.goto("/orgs/demo/")
    page.locator('li[data-finding="pipeline.stage_unowned"] a').click()
    page.wait_for_url("**/remedies/")
    first = page.locator("li.remedy").first
    assert "Model Deployment" in first.locator(".remedy-summary").inner_text()
    first.get_by_role("button", name="Try this fix").click()
    page.wait_for_url("**/compare/**")
    assert page.locator("[data-tried]").get_attribute("data-tried-fixed") == "true"
    assert page.locator('[data-compare="fixed"][data-finding="pipeline.stage_unowned"]').count()


def test_try_all_fixes_on_the_demo_leaves_no_error_that_has_a_remedy(page, demo):
    from orgdesign.analysis.catalogue import ERROR
    from orgdesign.analysis.findings import compute_findings
    from orgdesign.analysis.loader import load_org_data
    from orgdesign.analysis.remedies import PROPOSERS

    page.goto("/orgs/demo/findings/")
    page.get_by_role("link", name="Try all fixes for errors").click()
    page.wait_for_url("**/fix-all/")
    assert page.locator(".plan li.remedy").count() >= 4
    page.get_by_role("button", name="Try all fixes in a scenario").click()
    page.wait_for_url("**/compare/**")
    assert page.locator('[data-tried="all"]').is_visible()
    # What is left are the errors no change of the design can clear automatically (a KPI,
    # the efforts promised), each listed with a link to its fixes.
    left = page.locator("[data-left]")
    left_codes = sorted(left.nth(i).get_attribute("data-finding") for i in range(left.count()))
    assert serious_violations(page) == []
    scenario = Organisation.objects.get(scenario_of=demo)
    errors = [f.code for f in compute_findings(load_org_data(scenario)) if f.severity == ERROR]
    assert not [code for code in errors if code in PROPOSERS], errors
    assert left_codes == sorted(errors)
    assert left_codes == ["team.kpi_output_volume", "team.over_committed"]


def test_try_this_fix_from_the_matrix_column_of_the_outside_dependency(page, demo):
    platform = Team.objects.get(organisation=demo, name="ML Platform")
    page.goto("/orgs/demo/")
    header = page.locator(f'th[data-team="{platform.pk}"]')
    header.locator("details.fixes summary").click()
    fix = header.locator('[data-fix-for="dependency.outside_ml_org"]')
    assert "ML Platform" in fix.inner_text()
    assert serious_violations(page) == []
    fix.get_by_role("button", name="Try this fix").click()
    page.wait_for_url("**/compare/**")
    assert page.locator("[data-tried]").get_attribute("data-tried-fixed") == "true"
    fixed = page.locator('[data-compare="fixed"][data-tried-finding]')
    assert "ML Platform" in fixed.inner_text()


def test_on_a_large_design_a_worker_tries_the_fix_and_the_comparison_opens(page, demo,
                                                                          monkeypatch):
    from orgdesign.scenarios import fix_views, try_fix

    for module in (try_fix, fix_views):
        monkeypatch.setattr(module, "INLINE_PEOPLE", 0)  # every design counts as large
    page.goto("/orgs/demo/findings/")
    page.locator('li[data-finding="dependency.outside_ml_org"]').filter(
        has_text="ML Platform").get_by_role("button", name="Try this fix").click()
    page.wait_for_url("**/jobs/*/")
    assert serious_violations(page) == []
    run_worker()
    # The job page polls; once done it opens the comparison by itself.
    page.wait_for_url("**/compare/**", timeout=10_000)
    assert page.locator("[data-tried]").get_attribute("data-tried-fixed") == "true"


def test_an_admin_connects_okta_previews_the_first_pull_then_applies_it(
        browser, live_server, demo, okta):
    okta.add("00u1", displayName="Nadia Haddad", email="nadia@example.com",
             login="nadia@example.com", title="Director of Labeling", employeeNumber="OK1")
    okta.add("00u2", displayName="Tomas Berg", email="tomas@example.com",
             login="tomas@example.com", title="Labeling lead", employeeNumber="OK2",
             managerId="nadia@example.com")
    context, admin = logged_in(browser, live_server, demo, "root", "admin")
    admin.goto("/orgs/demo/")
    admin.get_by_role("link", name="Directory").click()
    admin.wait_for_url("**/connectors/")
    assert serious_violations(admin) == []
    okta_form = admin.locator('[data-connector="okta"]')
    okta_form.get_by_label("Okta org URL").fill(okta.url)
    okta_form.get_by_label("API token").fill(okta.token)
    okta_form.get_by_role("button", name="Connect Okta").click()
    admin.wait_for_url("**/connectors/")
    assert okta.token not in admin.content()
    admin.locator('[data-connector="okta"]').get_by_role(
        "button", name="Preview a pull").click()
    admin.wait_for_url("**/jobs/*/")
    run_worker()
    admin.locator('[data-job-state="done"]').wait_for(timeout=10_000)
    assert "A preview: nothing was written" in admin.content()
    assert serious_violations(admin) == []
    admin.get_by_role("link", name="See who").click()
    admin.wait_for_url("**/connectors/?run=*")
    detail = admin.locator("[data-run-detail]")
    sync_api.expect(detail).to_contain_text("Tomas Berg")
    assert serious_violations(admin) == []
    assert not Person.objects.filter(organisation=demo, external_id="OK2").exists()
    admin.locator('[data-connector="okta"]').get_by_role("button", name="Pull now").click()
    admin.wait_for_url("**/jobs/*/")
    run_worker()
    admin.locator('[data-job-state="done"]').wait_for(timeout=10_000)
    assert "The pull created 2" in admin.content()
    context.close()
    tomas = Person.objects.get(organisation=demo, external_id="OK2")
    assert tomas.manager.name == "Nadia Haddad" and tomas.updated_via == "connector"


def test_a_reorg_is_proposed_commented_approved_and_merged_with_a_conflict_resolved(
        browser, live_server, demo):
    from orgdesign.scenarios.services import scenario_create

    scenario = scenario_create(origin=demo, name="Flatter ML")
    services.person_update(person=Person.objects.get(organisation=scenario, name="Dana Kim"),
                           manager=Person.objects.get(organisation=scenario,
                                                      name="Amara Okafor"),
                           title="Director, ML platform")
    # Meanwhile, live: Dana's title changed too.
    live_dana = Person.objects.get(organisation=demo, name="Dana Kim")
    services.person_update(person=live_dana, title="Head of ML platform")
    context, admin = logged_in(browser, live_server, demo, "root", "admin")
    admin.goto(f"/orgs/demo/scenarios/{scenario.slug}/changes/")
    assert serious_violations(admin) == []
    admin.get_by_role("button", name="Propose for review").click()
    sync_api.expect(admin.locator('[data-review-state="proposed"]')).to_be_visible()
    admin.get_by_label("Comment").fill("Dana leads the platform from inside ML now.")
    admin.get_by_role("button", name="Comment", exact=True).click()
    sync_api.expect(admin.locator(".review-steps")).to_contain_text("Dana leads the platform")
    admin.get_by_role("button", name="Approve").click()
    sync_api.expect(admin.locator('[data-review-state="approved"]')).to_be_visible()
    key = f"person:{live_dana.pk}:title"
    conflict = admin.locator(f'li[data-change="{key}"]')
    conflict.get_by_label("Take the scenario's").check()
    assert serious_violations(admin) == []
    admin.get_by_role("button", name="Merge into").click()
    admin.wait_for_url("**/jobs/*/")
    run_worker()
    admin.locator('[data-job-state="done"]').wait_for(timeout=10_000)
    assert "merged into" in admin.content()
    assert serious_violations(admin) == []
    live_dana.refresh_from_db()
    assert live_dana.title == "Director, ML platform"
    assert live_dana.manager.name == "Amara Okafor"
    # The merge is undone as a scenario of its own, made on request.
    admin.get_by_role("button", name="Make a scenario that undoes this merge").click()
    admin.wait_for_url("**/jobs/*/")
    run_worker()
    admin.locator('[data-job-state="done"]').wait_for(timeout=10_000)
    admin.get_by_role("link", name="Undo Flatter ML").click()
    admin.wait_for_url(lambda url: "/jobs/" not in url)
    sync_api.expect(admin.locator(".scenario-banner")).to_be_visible()
    admin.goto("/orgs/demo/scenarios/")
    sync_api.expect(admin.locator("#merges")).to_contain_text("Flatter ML")
    assert serious_violations(admin) == []
    undo = Organisation.objects.get(scenario_of=demo, name="Undo Flatter ML")
    admin.goto(f"/orgs/demo/scenarios/{undo.slug}/changes/")
    sync_api.expect(admin.locator("body")).to_contain_text(
        "Dana Kim: manager Amara Okafor → Priya Shah")
    context.close()


def test_the_health_page_draws_the_demos_quarter_and_opens_its_past(page, demo):
    """The demo's twelve weeks (orgdesign.samples.demo.PAST): errors falling as its problems
    were fixed, each chart with its numbers, then the matrix as it was."""
    page.goto("/orgs/demo/health/")
    errors = page.locator('[data-chart="findings"] svg polyline').first
    sync_api.expect(errors).to_be_visible()
    assert serious_violations(page) == []
    table = page.locator('[data-chart-table="findings"]')
    sync_api.expect(table).to_be_hidden()
    page.locator('[data-chart="findings"] summary').click()
    sync_api.expect(table).to_be_visible()
    first = int(table.locator("tbody tr").first.locator("td").first.inner_text())
    last = int(table.locator("tbody tr").last.locator("td").first.inner_text())
    assert first > last  # the demo got better
    # Findings of one code on demand.
    page.get_by_label("Findings of one code").select_option("pipeline.no_pm")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/health/?code=pipeline.no_pm")
    sync_api.expect(page.locator('[data-chart="code"]')).to_be_visible()
    # The design as it was on the first snapshot's day: read only, with its banner.
    page.get_by_role("link", name=re.compile("the matrix on")).click()
    page.wait_for_url("**/orgs/demo/?as_of=*")
    sync_api.expect(page.locator("[data-as-of]")).to_contain_text("read only")
    assert page.locator("td button").count() == 0  # no cell to change
    assert serious_violations(page) == []
    # At a phone's width the charts fit.
    page.set_viewport_size(NARROW)
    page.goto("/orgs/demo/health/")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
