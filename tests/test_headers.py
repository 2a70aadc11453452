"""Response headers (orgdesign/web/headers.py and Django's SecurityMiddleware): a
Content-Security-Policy that no page needs to bend (no inline script, no event-handler
attribute, no eval), `Cache-Control: private, no-store` on whatever a logged-in user or a token
receives, and HSTS and the https redirect in production."""

import re

import pytest
from django.test import Client, override_settings

from teams.models import Person, Team
from tests.api_helpers import api_url, token_client
from tests.factories import client_for

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]+\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.IGNORECASE)



def page_urls(demo) -> list[str]:
    person = Person.objects.filter(organisation=demo).first()
    team = Team.objects.filter(organisation=demo).first()
    pipeline = demo.pipelines.first()
    base = f"/orgs/{demo.slug}"
    return [
        "/", f"{base}/", f"{base}/overview/", f"{base}/findings/", f"{base}/people/",
        f"{base}/people/{person.pk}/", f"{base}/teams/", f"{base}/teams/{team.pk}/",
        f"{base}/pipelines/", f"{base}/pipelines/{pipeline.pk}/", f"{base}/chart/",
        f"{base}/structure/", f"{base}/import/", f"{base}/history/", f"{base}/scenarios/",
        f"{base}/settings/", f"{base}/members/", f"{base}/tokens/", "/api/docs/",
    ]


def test_every_page_carries_a_policy_it_does_not_need_to_bend(demo):
    admin = client_for(demo, "admin")
    for url in page_urls(demo):
        response = admin.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'", url
        assert directives["frame-ancestors"] == "'none'"
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html).group(0))
        assert not HANDLER_ATTRIBUTE.search(html), (url, HANDLER_ATTRIBUTE.search(html).group(0))


def test_htmx_is_told_to_do_without_eval_and_inline_styles(demo):
    html = client_for(demo).get(f"/orgs/{demo.slug}/").content.decode()
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html


def test_the_api_docs_load_their_start_up_script_as_a_file(demo):
    viewer = client_for(demo)
    html = viewer.get("/api/docs/").content.decode()
    script = re.search(r'<script src="([^"]*\?script=?[^"]*)"', html)
    assert script, html
    answer = viewer.get(script.group(1).replace("&amp;", "&"))
    assert answer.status_code == 200
    assert "SwaggerUIBundle" in answer.content.decode()


def test_the_login_page_has_the_policy_too():
    response = Client().get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_what_a_logged_in_user_receives_is_never_stored(demo):
    viewer = client_for(demo)
    for url in (f"/orgs/{demo.slug}/", f"/orgs/{demo.slug}/people/",
                f"/orgs/{demo.slug}/export/people.csv", f"/orgs/{demo.slug}/chart/data/"):
        response = viewer.get(url)
        assert response.status_code == 200, url
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control, url


def test_what_a_token_receives_is_never_stored(demo):
    api = token_client(demo, "read")
    for url in (api_url(demo, "people/"), f"/orgs/{demo.slug}/export/matrix.csv",
                "/scim/v2/Users"):
        response = api.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


def test_hsts_on_https_and_a_redirect_from_http_in_production(demo):
    viewer = client_for(demo)
    secure = viewer.get(f"/orgs/{demo.slug}/", secure=True)
    assert secure["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    with override_settings(SECURE_SSL_REDIRECT=True):
        # A new client: the middleware reads the setting when it is built.
        plain = client_for(demo).get(f"/orgs/{demo.slug}/")
        assert plain.status_code == 301
        assert plain["Location"].startswith("https://")
        # Load balancers probe /healthz over http.
        assert Client().get("/healthz").status_code == 200
