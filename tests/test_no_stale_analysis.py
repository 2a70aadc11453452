"""No web process shows an analysis older than the design: a write through any door, on one
web process, shows in the findings of the next page another process serves, though that
process keeps the analysis it made (`orgdesign.analysis.kept`) under the design's version.

Two real servers (`tests.servers`) of one worker each: the first only reads, so the one
process behind it keeps what it analysed; each door writes on the second.
"""

import html

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from orgdesign.analysis.kept import kept
from orgdesign.jobs.models import Job
from orgdesign.scenarios.services import scenario_create
from pipelines import services as pipeline_services
from teams import services
from teams.models import Organisation, Team
from teams.tokens import token_create
from tests.factories import OrganisationFactory, UserFactory, client_for
from tests.servers import browser_session, needs_postgresql, web_processes
from tests.worker import run_worker

PASSWORD = "a right password 42"
SCIM_JSON = "application/scim+json"


def known_to_the_servers(user):
    """`user` with a password the servers can check: they know Django's default hashers,
    not the fast one the suite uses."""
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt")
    user.save()
    return user


class Reader:
    """The findings of one code as one server shows them, in the API and on the page."""

    def __init__(self, server: str, slug: str, key: str, session: requests.Session):
        self.server, self.slug, self.session = server, slug, session
        self.headers = {"Authorization": f"Bearer {key}"}

    def shows(self, code: str, message: str) -> tuple[bool, bool]:
        """Whether the API's findings of `code` and the findings page filtered on it show
        `message`."""
        api = requests.get(f"{self.server}/api/v1/orgs/{self.slug}/findings/", timeout=60,
                           params={"code": code}, headers=self.headers)
        assert api.status_code == 200, api.text[:500]
        page = self.session.get(f"{self.server}/orgs/{self.slug}/findings/", timeout=60,
                                params={"code": code})
        assert page.status_code == 200, page.text[:500]
        in_api = message in {finding["message"] for finding in api.json()["results"]}
        return in_api, html.escape(message) in page.text


def posted_form(session: requests.Session, url: str, data: dict, files=None):
    """A form POST from the browser `session`, with its CSRF token."""
    return session.post(url, timeout=60, files=files, allow_redirects=False,
                        data={**data, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                        headers={"Referer": url})


# The doors, each writing on `server` ---------------------------------------------------------


def matrix_cell(session, server, slug, pipeline, team, *, role, expected):
    answer = posted_form(session, f"{server}/orgs/{slug}/cells/{pipeline.pk}/{team.pk}/",
                         {"role": role, "expected": expected})
    assert answer.status_code == 200, answer.text[:500]


def api_team_create(server, slug, key, name):
    answer = requests.post(f"{server}/api/v1/orgs/{slug}/teams/", timeout=60,
                           json={"name": name, "kind": "other"},
                           headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 201, answer.text[:500]


def scim_group_create(server, key, name):
    answer = requests.post(
        f"{server}/scim/v2/Groups", timeout=60,
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name,
              "members": []},
        headers={"Authorization": f"Bearer {key}", "Content-Type": SCIM_JSON,
                 "Accept": SCIM_JSON},
    )
    assert answer.status_code == 201, answer.text[:500]


def people_sync(server, slug, key, people):
    answer = requests.post(f"{server}/api/v1/orgs/{slug}/people/sync/", timeout=60,
                           json={"mode": "delta", "people": people},
                           headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text[:500]
    assert not answer.json()["errors"]


def people_import(session, server, slug, roster: bytes):
    preview = posted_form(session, f"{server}/orgs/{slug}/import/people/", {"mode": "delta"},
                          files={"file": ("roster.csv", roster, "text/csv")})
    assert 'data-import-state="preview"' in preview.text, preview.text[:2000]
    ticket = preview.text.split('name="ticket" value="', 1)[1].split('"', 1)[0]
    applied = posted_form(session, f"{server}/orgs/{slug}/import/people/apply/",
                          {"ticket": ticket})
    assert applied.status_code == 200
    assert 'data-import-state="applied"' in applied.text, applied.text[:2000]


def admin_team_add(session, server, organisation, name):
    answer = posted_form(session, f"{server}/admin/teams/team/add/", {
        "organisation": organisation.pk, "name": name, "kind": "other", "lead": "",
        "kpi": "", "kpi_type": "", "external_id": "", "_save": "Save",
    })
    # The admin answers its form again, with the errors, when it saves nothing.
    assert answer.status_code == 302, answer.text[:2000]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_write_through_each_door_shows_on_the_next_page_of_another_process():
    organisation = OrganisationFactory(slug="acme")
    ada = services.person_create(organisation=organisation, name="Ada", external_id="A1")
    bob = services.person_create(organisation=organisation, name="Bob", external_id="B1")
    models = services.team_create(organisation=organisation, name="Models", kind="modeling")
    platform = services.team_create(organisation=organisation, name="Platform",
                                    kind="infrastructure")
    services.membership_set(person=ada, team=models, allocation=100)
    services.membership_set(person=bob, team=platform, allocation=100)
    bench = services.team_create(organisation=organisation, name="Bench", kind="other")
    churn = pipeline_services.pipeline_create(organisation=organisation, name="Churn",
                                              lifecycle="production")
    pipeline_services.engagement_set(pipeline=churn, team=models, role="owner")
    editor = known_to_the_servers(UserFactory(username="ed"))
    services.access_grant(organisation=organisation, user=editor, role="editor")
    known_to_the_servers(UserFactory(username="root", is_staff=True, is_superuser=True))
    _, read_key = token_create(organisation=organisation, name="dashboard", scope="read")
    _, write_key = token_create(organisation=organisation, name="hr", scope="write")
    slug = "acme"

    unowned = ("pipeline.stage_unowned", "No team owns the modeling stage of Churn.")
    over_allocated = ("person.over_allocated", "Sam is allocated 120% across 2 teams.")

    def empty(name):
        return "team.empty", f"Team {name} has no active member."

    with web_processes(2, workers=1) as (first, second):
        session = browser_session(second, "ed", PASSWORD)  # sessions are in the database
        reader = Reader(first, slug, read_key, session)
        admin = browser_session(second, "root", PASSWORD)

        # The reader keeps its analysis: a change that bypasses the history (and so the
        # version) is not seen. Without this, every check below could pass on a reader that
        # analysed afresh on every request.
        assert reader.shows(*empty("Bench")) == (True, True)
        assert reader.shows(*unowned) == (False, False)
        Team.objects.filter(pk=bench.pk).update(name="Reserve")
        assert reader.shows(*empty("Bench")) == (True, True)
        assert reader.shows(*empty("Reserve")) == (False, False)

        # 1. The matrix, in the browser: Models no longer owns Churn.
        matrix_cell(session, second, slug, churn, models, role="", expected="owner")
        assert reader.shows(*unowned) == (True, True)
        assert reader.shows(*empty("Reserve")) == (True, True)  # and the unseen rename

        # 2. The REST API.
        assert reader.shows(*empty("Api team")) == (False, False)
        api_team_create(second, slug, write_key, "Api team")
        assert reader.shows(*empty("Api team")) == (True, True)

        # 3. SCIM.
        assert reader.shows(*empty("Scim team")) == (False, False)
        scim_group_create(second, write_key, "Scim team")
        assert reader.shows(*empty("Scim team")) == (True, True)

        # 4. The people sync: Sam, 60% in two teams.
        assert reader.shows(*over_allocated) == (False, False)
        people_sync(second, slug, write_key, [{
            "external_id": "S1", "name": "Sam",
            "teams": [{"team": "Models", "allocation": 60},
                      {"team": "Platform", "allocation": 60}],
        }])
        assert reader.shows(*over_allocated) == (True, True)

        # 5. The people import, in the browser: Sam moves 40% to the empty Api team.
        people_import(session, second, slug,
                      b"Employee ID,Full Name,Supervisor ID,teams\n"
                      b"S1,Sam,,Models:60;Api team:40\n")
        assert reader.shows(*over_allocated) == (False, False)
        assert reader.shows(*empty("Api team")) == (False, False)

        # 6. The admin.
        assert reader.shows(*empty("Admin team")) == (False, False)
        admin_team_add(admin, second, organisation, "Admin team")
        assert reader.shows(*empty("Admin team")) == (True, True)

        # And the matrix again, the other way: Models owns Churn again.
        assert reader.shows(*unowned) == (True, True)
        matrix_cell(session, second, slug, churn, models, role="owner", expected="")
        assert reader.shows(*unowned) == (False, False)


# History restores and scenario promotions, in one process -----------------------------------

VISION_EMPTY = ("team.empty", "Team Vision has no active member.")


def page_shows(client, organisation, code: str, message: str) -> bool:
    page = client.get(f"/orgs/{organisation.slug}/findings/", {"code": code})
    assert page.status_code == 200
    return html.escape(message) in page.content.decode()


def assert_kept(organisation):
    """The process keeps the analysis of the design as it is: the next page would reuse it."""
    version = Organisation.objects.values_list("design_version", flat=True).get(
        pk=organisation.pk)
    assert kept(organisation.pk, version) is not None


@pytest.mark.django_db
def test_a_restore_from_the_history_shows_on_the_next_page():
    organisation = OrganisationFactory(slug="acme")
    ada = services.person_create(organisation=organisation, name="Ada")
    vision = services.team_create(organisation=organisation, name="Vision")
    services.membership_set(person=ada, team=vision, allocation=100)
    services.person_deactivate(person=ada)  # Vision's only member leaves
    editor = client_for(organisation, "editor")
    assert page_shows(editor, organisation, *VISION_EMPTY)
    assert_kept(organisation)

    active = ada.history.earliest("history_date")
    answer = editor.post(f"/orgs/acme/history/person/{active.history_id}/restore/")
    assert answer.status_code == 302
    ada.refresh_from_db()
    assert ada.active  # restored (a refusal redirects too)

    assert not page_shows(editor, organisation, *VISION_EMPTY)


@pytest.mark.django_db
def test_a_promoted_scenario_shows_on_the_next_page_of_its_origin():
    origin = OrganisationFactory(slug="acme")
    services.team_create(organisation=origin, name="Vision")
    admin = client_for(origin, "admin")
    scenario = scenario_create(origin=origin, name="Staffed", creator=admin.user)
    services.membership_set(
        person=services.person_create(organisation=scenario, name="Ada"),
        team=Team.objects.get(organisation=scenario, name="Vision"), allocation=100,
    )
    assert page_shows(admin, origin, *VISION_EMPTY)
    assert_kept(origin)

    answer = admin.post(f"/orgs/{scenario.slug}/promote/")
    assert answer.status_code == 302
    run_worker()
    assert Job.objects.get(organisation=origin).state == "done"

    assert not page_shows(admin, origin, *VISION_EMPTY)
