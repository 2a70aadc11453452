"""The review and merge API (issue 30, point 5): the review's steps by role, the conflicts,
and a merge as a job (202 + Location), refused with 409 while a conflict is unresolved or an
approval is missing."""

import pytest
from django.db import connection

from orgdesign.jobs.models import Job
from orgdesign.scenarios.services import scenario_create
from teams import services
from teams.models import MergeApproval, Person
from tests.api_helpers import token_client
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    TeamFactory,
    client_for,
)
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def origin():
    org = OrganisationFactory(slug="acme", merge_approval=MergeApproval.ALWAYS)
    head = PersonFactory(organisation=org, name="Amara Okafor")
    lead = PersonFactory(organisation=org, name="Priya Shah", manager=head)
    PersonFactory(organisation=org, name="Dana Kim", manager=lead)
    MembershipFactory(team=TeamFactory(organisation=org, name="ML Platform"), person=lead)
    return org


@pytest.fixture
def scenario(origin):
    copy = scenario_create(origin=origin, name="Flatter")
    services.person_update(person=Person.objects.get(organisation=copy, name="Dana Kim"),
                           manager=Person.objects.get(organisation=copy, name="Amara Okafor"))
    return copy


def url(scenario, what):
    return f"/api/v1/orgs/acme/scenarios/{scenario.slug}/{what}/"


def test_the_review_by_role(origin, scenario):
    editor, admin = token_client(origin, "write"), token_client(origin, "admin")
    assert editor.post(url(scenario, "review"), {"action": "propose"},
                       format="json").status_code == 201
    refused = editor.post(url(scenario, "review"), {"action": "approve"}, format="json")
    assert refused.status_code == 403
    assert token_client(origin, "read").post(url(scenario, "review"), {
        "action": "comment", "text": "?"}, format="json").status_code == 403
    assert admin.post(url(scenario, "review"), {"action": "approve"},
                      format="json").status_code == 201
    body = token_client(origin, "read").get(url(scenario, "review")).json()
    assert body["state"]["state"] == "approved" and body["state"]["may_merge"]
    assert [step["action"] for step in body["steps"]] == ["propose", "approve"]
    bad = editor.post(url(scenario, "review"), {"action": "comment"}, format="json")
    assert bad.status_code == 400 and "text" in bad.json()


def test_a_merge_through_the_api(origin, scenario):
    admin = token_client(origin, "admin")
    refused = admin.post(url(scenario, "merge"), {}, format="json")
    assert refused.status_code == 409 and "approval" in refused.json()["detail"]
    assert token_client(origin, "write").post(url(scenario, "merge"), {},
                                              format="json").status_code == 403
    admin.post(url(scenario, "review"), {"action": "approve"}, format="json")
    accepted = admin.post(url(scenario, "merge"), {}, format="json")
    assert accepted.status_code == 202
    job = Job.objects.get(kind="scenario_merge")
    assert accepted["Location"] == f"/api/v1/orgs/acme/jobs/{job.uid}/"
    run_worker()
    job.refresh_from_db()
    assert job.state == "done", job.error
    assert Person.objects.get(organisation=origin, name="Dana Kim").manager.name == \
        "Amara Okafor"
    assert admin.get(url(scenario, "review")).json()["state"]["state"] == "merged"
    page = client_for(origin, "admin").get(f"/orgs/acme/jobs/{job.uid}/").content.decode()
    assert "1 change of Flatter merged into" in page


def test_a_conflict_answers_409_until_resolved(origin, scenario):
    origin.merge_approval = MergeApproval.NEVER
    origin.save()
    dana = Person.objects.get(organisation=origin, name="Dana Kim")
    services.person_update(person=dana, manager=None)
    admin = token_client(origin, "admin")
    conflicts = admin.get(url(scenario, "conflicts")).json()
    key = f"person:{dana.pk}:manager"
    assert conflicts["count"] == 1 and conflicts["results"][0]["key"] == key
    assert conflicts["results"][0]["live"] is None
    refused = admin.post(url(scenario, "merge"), {}, format="json")
    assert refused.status_code == 409 and refused.json()["conflicts"][0].startswith(key)
    bad = admin.post(url(scenario, "merge"), {"resolutions": {key: "mine"}}, format="json")
    assert bad.status_code == 400
    accepted = admin.post(url(scenario, "merge"), {"resolutions": {key: "scenario"}},
                          format="json")
    assert accepted.status_code == 202
    run_worker()
    assert Person.objects.get(pk=dana.pk).manager.name == "Amara Okafor"


def test_scenarios_of_other_designs_answer_404(origin, scenario):
    other = OrganisationFactory(slug="other")
    for what in ("review", "conflicts", "changes"):
        assert token_client(other, "admin").get(url(scenario, what)).status_code == 404
    assert token_client(other, "admin").post(url(scenario, "merge"), {},
                                              format="json").status_code == 404


def page(scenario, what="changes"):
    return f"/orgs/acme/scenarios/{scenario.slug}/{what}/"


def test_the_review_and_merge_from_the_page(origin, scenario):
    viewer, editor = client_for(origin, "viewer"), client_for(origin, "editor")
    admin = client_for(origin, "admin")
    text = viewer.get(page(scenario)).content.decode()
    assert 'data-review-state="draft"' in text and "Merge into" not in text
    assert 'value="approve"' not in text and 'value="comment"' in text
    # Anyone who sees it comments; an editor proposes; only an admin approves.
    assert viewer.post(page(scenario, "review"), {"action": "comment", "text": "Why Dana?"}
                       ).status_code == 302
    assert viewer.post(page(scenario, "review"), {"action": "propose"}).status_code == 403
    assert editor.post(page(scenario, "review"), {"action": "propose"}).status_code == 302
    assert editor.post(page(scenario, "review"), {"action": "approve"}).status_code == 403
    refused = editor.post(page(scenario, "review"), {"action": "comment", "text": ""})
    assert refused.status_code == 400 and "required" in refused.content.decode()
    text = admin.get(page(scenario)).content.decode()
    assert 'data-review-state="proposed"' in text and "Why Dana?" in text
    assert "Merge into" in text and "disabled" in text  # no approval yet
    assert admin.post(page(scenario, "merge"), {}).status_code == 400
    assert admin.post(page(scenario, "review"), {"action": "approve"}).status_code == 302
    assert editor.post(page(scenario, "merge"), {}).status_code == 403
    response = admin.post(page(scenario, "merge"), {})
    job = Job.objects.get(kind="scenario_merge")
    assert response["Location"] == f"/orgs/acme/jobs/{job.uid}/"
    run_worker()
    assert Person.objects.get(organisation=origin, name="Dana Kim").manager.name == \
        "Amara Okafor"
    assert 'data-review-state="merged"' in admin.get(page(scenario)).content.decode()


def test_a_conflict_is_resolved_on_the_page(origin, scenario):
    origin.merge_approval = MergeApproval.NEVER
    origin.save()
    dana = Person.objects.get(organisation=origin, name="Dana Kim")
    services.person_update(person=dana, manager=None)
    admin = client_for(origin, "admin")
    text = admin.get(page(scenario)).content.decode()
    key = f"person:{dana.pk}:manager"
    assert 'data-conflicts="1"' in text and f'name="resolve:{key}"' in text
    refused = admin.post(page(scenario, "merge"), {})
    assert refused.status_code == 400 and key in refused.content.decode()
    admin.post(page(scenario, "merge"), {f"resolve:{key}": "live"})
    run_worker()
    assert Job.objects.get(kind="scenario_merge").state == "done"
    assert Person.objects.get(pk=dana.pk).manager is None


def test_only_admins_say_whether_a_merge_needs_an_approval(origin):
    url = "/orgs/acme/settings/merge-approval/"
    assert client_for(origin, "editor").post(url, {"merge_approval": "never"}).status_code == 403
    admin = client_for(origin, "admin")
    assert "Merging scenarios" in admin.get("/orgs/acme/settings/").content.decode()
    assert admin.post(url, {"merge_approval": "never"}).status_code == 302
    origin.refresh_from_db()
    assert origin.merge_approval == "never"


def test_a_rebase_through_the_api(origin, scenario):
    priya = Person.objects.get(organisation=origin, name="Priya Shah")
    services.person_update(person=priya, title="Director")
    dana = Person.objects.get(organisation=origin, name="Dana Kim")
    services.person_update(person=dana, manager=None)  # the scenario moved her too
    writer = token_client(origin, "write")
    assert token_client(origin, "read").post(url(scenario, "rebase"), {},
                                             format="json").status_code == 403
    refused = writer.post(url(scenario, "rebase"), {}, format="json")
    key = f"person:{dana.pk}:manager"
    assert refused.status_code == 409 and refused.json()["conflicts"][0].startswith(key)
    done = writer.post(url(scenario, "rebase"), {"resolutions": {key: "scenario"}},
                       format="json")
    assert done.status_code == 200 and done.json()["taken"] == 2
    assert Person.objects.get(organisation=scenario, name="Priya Shah").title == "Director"
    assert Person.objects.get(organisation=scenario, name="Dana Kim").manager.name == \
        "Amara Okafor"
    changes = writer.get(url(scenario, "changes")).json()
    assert [c["key"] for c in changes["results"]] == [key]


def test_a_rebase_from_the_page(origin, scenario):
    dana = Person.objects.get(organisation=origin, name="Dana Kim")
    services.person_update(person=dana, title="Senior engineer")
    editor = client_for(origin, "editor")
    text = editor.get(page(scenario)).content.decode()
    assert 'data-live-changes="1"' in text and "Dana Kim: title" in text
    assert client_for(origin, "viewer").post(page(scenario, "rebase"), {}).status_code == 403
    assert editor.post(page(scenario, "rebase"), {}).status_code == 302
    assert Person.objects.get(organisation=scenario, name="Dana Kim").title == \
        "Senior engineer"
    assert "data-live-changes" not in editor.get(page(scenario)).content.decode()


def test_the_changes_page_runs_a_fixed_number_of_queries(origin, scenario):
    from django.test.utils import CaptureQueriesContext

    admin = client_for(origin, "admin")
    counts = []
    for n in range(2):
        for k in range(4):
            services.person_create(organisation=scenario, name=f"Hire {n}-{k}")
            services.person_create(organisation=origin, name=f"Live {n}-{k}")
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(page(scenario)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] > 0


def test_a_viewer_signed_in_comments_through_the_api_but_a_read_token_does_not(origin,
                                                                                 scenario):
    viewer = client_for(origin, "viewer")
    said = viewer.post(url(scenario, "review"), {"action": "comment", "text": "Why Dana?"},
                       content_type="application/json")
    assert said.status_code == 201 and said.json()["text"] == "Why Dana?"
    assert viewer.post(url(scenario, "review"), {"action": "propose"},
                       content_type="application/json").status_code == 403
    assert viewer.post(url(scenario, "review"), {"action": "approve"},
                       content_type="application/json").status_code == 403
    assert token_client(origin, "read").post(url(scenario, "review"), {
        "action": "comment", "text": "?"}, format="json").status_code == 403
    # The rest of the API still needs the editor role to write.
    assert viewer.post(url(scenario, "rebase"), {},
                       content_type="application/json").status_code == 403


def merged(origin, scenario):
    origin.merge_approval = MergeApproval.NEVER
    origin.save()
    from orgdesign.scenarios.merge import scenario_merge
    from teams.actor import SYSTEM
    scenario.refresh_from_db()  # and its origin, with the setting changed
    return scenario_merge(scenario=scenario, actor=SYSTEM)["merge"]


def test_a_merge_is_undone_from_the_scenarios_page(origin, scenario):
    merge = merged(origin, scenario)
    dana = Person.objects.get(organisation=origin, name="Dana Kim")
    assert dana.manager.name == "Amara Okafor"
    viewer, editor = client_for(origin, "viewer"), client_for(origin, "editor")
    listed = viewer.get("/orgs/acme/scenarios/").content.decode()
    assert f'data-merge="{merge}"' in listed and "Undo as a scenario" not in listed
    undo_url = f"/orgs/acme/merges/{merge}/undo/"
    assert viewer.post(undo_url).status_code == 403
    assert client_for(OrganisationFactory(slug="other"), "admin").post(
        undo_url).status_code == 404
    assert "Undo as a scenario" in editor.get("/orgs/acme/scenarios/").content.decode()
    response = editor.post(undo_url)
    job = Job.objects.get(kind="scenario_copy")
    assert response["Location"] == f"/orgs/acme/jobs/{job.uid}/"
    run_worker()
    job.refresh_from_db()
    assert job.state == "done", job.error
    undo = origin.scenarios.get(slug=job.result["scenario"])
    assert undo.name == "Undo Flatter" and undo.created_by.pk
    text = editor.get(page(undo)).content.decode()
    assert "Dana Kim: manager Amara Okafor → Priya Shah" in text
    client_for(origin, "admin").post(page(undo, "merge"), {})
    run_worker()
    assert Person.objects.get(pk=dana.pk).manager.name == "Priya Shah"


def test_the_merge_job_page_offers_the_undo(origin, scenario):
    origin.merge_approval = MergeApproval.NEVER
    origin.save()
    admin = client_for(origin, "admin")
    admin.post(page(scenario, "merge"), {})
    run_worker()
    job = Job.objects.get(kind="scenario_merge")
    text = admin.get(f"/orgs/acme/jobs/{job.uid}/").content.decode()
    assert f'action="/orgs/acme/merges/{job.result["merge"]}/undo/"' in text


def test_merges_and_their_undo_through_the_api(origin, scenario):
    merge = merged(origin, scenario)
    listed = token_client(origin, "read").get("/api/v1/orgs/acme/merges/").json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert (row["id"], row["scenario"], row["changes"]) == (merge, "Flatter", 1)
    assert row["undo"] == f"/api/v1/orgs/acme/merges/{merge}/undo/"
    assert token_client(origin, "read").post(row["undo"], {},
                                              format="json").status_code == 403
    assert token_client(OrganisationFactory(slug="other"), "admin").post(
        row["undo"], {}, format="json").status_code == 404
    assert token_client(origin, "write").post("/api/v1/orgs/acme/merges/999999/undo/", {},
                                              format="json").status_code == 404
    accepted = token_client(origin, "write").post(row["undo"], {}, format="json")
    assert accepted.status_code == 202
    job = Job.objects.get(kind="scenario_copy")
    assert accepted["Location"] == f"/api/v1/orgs/acme/jobs/{job.uid}/"
    run_worker()
    job.refresh_from_db()
    undo = origin.scenarios.get(slug=job.result["scenario"])
    changes = token_client(origin, "read").get(url(undo, "changes")).json()
    assert [c["words"] for c in changes["results"]] == [
        "Dana Kim: manager Amara Okafor → Priya Shah"]


def test_a_promotion_leaves_no_merge_to_undo(origin, scenario):
    merged(origin, scenario)
    from orgdesign.scenarios.services import scenario_promote
    other = scenario_create(origin=origin, name="Other")
    scenario_promote(scenario=other)
    assert token_client(origin, "read").get("/api/v1/orgs/acme/merges/").json()["count"] == 0
