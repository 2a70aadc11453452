"""The org chart drawn as boxes and lines (issue 13): the JSON the picture is drawn from, its
first view (the way down to every dependency lead and error), subtrees on demand, finding a
person, dotted lines, and a fixed number of queries."""

import pytest

from pipelines.generator import generate_org
from teams import services
from teams.models import Person
from tests.factories import OrganisationFactory, PersonFactory, client_for

# The clients of conftest act in the demo organisation.
pytestmark = [pytest.mark.django_db, pytest.mark.in_demo]



def data_url(organisation, query=""):
    return f"/orgs/{organisation.slug}/chart/data/{query}"


def test_the_first_view_reaches_both_dependency_leads_of_the_demo(viewer, demo):
    response = viewer.get(data_url(demo))
    assert response.status_code == 200
    nodes = {node["id"]: node for node in response.json()["nodes"]}
    for name in ("Dana Kim", "Yuki Tanaka"):
        lead = Person.objects.get(organisation=demo, name=name)
        assert lead.pk in nodes
        assert [f["code"] for f in nodes[lead.pk]["findings"]] == ["dependency.outside_ml_org"]
        assert nodes[lead.pk]["inMlOrg"] is False
        # Their managers, up to the top, are sent too: the tree is whole.
        manager = lead.manager
        while manager is not None:
            assert manager.pk in nodes
            manager = manager.manager
    # One root, every other node under someone sent.
    roots = [node for node in nodes.values() if node["parentId"] is None]
    assert len(roots) == 1
    assert all(node["parentId"] in nodes for node in nodes.values() if node["parentId"])
    head = next(node for node in nodes.values() if node["mlHead"])
    assert head["name"] == demo.ml_head.name and head["inMlOrg"] is True


def test_a_box_says_name_title_team_and_where_it_sits(viewer, demo):
    nodes = viewer.get(data_url(demo)).json()["nodes"]
    shown = [node for node in nodes if node["team"]]
    assert shown
    for node in shown:
        person = Person.objects.get(pk=node["id"])
        main = person.memberships.order_by("-allocation", "team__name").first()
        assert node["team"] == main.team.name
        assert node["title"] == person.title


def test_dotted_lines_are_sent_between_the_people_sent(viewer, demo):
    report = Person.objects.get(organisation=demo, name="Dana Kim")
    services.person_update(person=report, dotted_line_managers=[demo.ml_head])
    data = viewer.get(data_url(demo)).json()
    assert {"from": demo.ml_head.pk, "to": report.pk} in data["dotted"]


def test_reports_load_on_demand_in_chunks(viewer, demo):
    vp = Person.objects.get(organisation=demo, name="Olivia Chen")
    nodes = viewer.get(data_url(demo, f"?root={vp.pk}")).json()["nodes"]
    reports = set(Person.objects.filter(manager=vp).values_list("pk", flat=True))
    assert {node["id"] for node in nodes} == reports
    assert all(node["parentId"] == vp.pk for node in nodes)


def test_find_a_person_sends_the_way_down_to_them(viewer, demo):
    data = viewer.get(data_url(demo, "?find=pablo")).json()
    pablo = Person.objects.get(organisation=demo, name__startswith="Pablo")
    assert data["found"] == pablo.pk
    assert data["nodes"][-1]["id"] == pablo.pk
    assert data["nodes"][0]["parentId"] is None
    assert viewer.get(data_url(demo, "?find=nobody-called-this")).json()["found"] is None


def test_another_organisations_person_is_not_found(viewer, demo):
    stranger = PersonFactory(organisation=OrganisationFactory())
    assert viewer.get(data_url(demo, f"?root={stranger.pk}")).status_code == 404
    assert viewer.get(data_url(demo, f"?reveal={stranger.pk}")).status_code == 404
    assert viewer.get(data_url(demo, "?root=abc")).status_code == 404


def test_names_go_out_as_data_never_as_markup(viewer, demo):
    Person.objects.filter(organisation=demo, name="Dana Kim").update(name="<img src=x onerror=1>")
    response = viewer.get(data_url(demo))
    assert response["Content-Type"] == "application/json"
    assert any(node["name"] == "<img src=x onerror=1>" for node in response.json()["nodes"])


@pytest.mark.parametrize("people", [400, 2000])
def test_the_data_runs_a_fixed_number_of_queries(people, django_assert_num_queries):
    organisation = OrganisationFactory()
    generate_org(organisation, people=people, teams=20, pipelines=20, seed=3)
    client = client_for(organisation, "viewer")
    # session, user, organisation; the organisation again and the design's six tables and
    # its software catalog (the generator plants one), the first time its version is read;
    # the titles of the people sent, their dotted lines.
    with django_assert_num_queries(3 + 8 + 2):
        response = client.get(data_url(organisation))
    with django_assert_num_queries(3 + 2):  # the design is kept (orgdesign.analysis.kept)
        assert client.get(data_url(organisation)).json() == response.json()
    nodes = response.json()["nodes"]
    assert 1 < len(nodes) <= 400 + 50 * 10  # the page's budget, and the ways to problems


def test_the_chart_page_holds_the_picture_and_the_list(viewer, demo):
    html = viewer.get(f"/orgs/{demo.slug}/chart/").content.decode()
    assert f'data-src="/orgs/{demo.slug}/chart/data/"' in html
    assert "vendor/d3-org-chart/d3-org-chart.min.js" in html
    assert "List view: the reporting lines" in html  # the accessible fallback stays
    assert 'data-centre="' in html  # the side list of people with findings


# Changing a manager from the chart -------------------------------------------------------------


def move_url(organisation):
    return f"/orgs/{organisation.slug}/chart/move/"


def test_a_move_changes_the_manager_through_the_service_and_says_how_to_undo(editor, demo):
    dana = Person.objects.get(organisation=demo, name="Dana Kim")
    previous = dana.manager_id
    version = editor.get(data_url(demo)).json()["nodes"]
    version = next(node["version"] for node in version if node["id"] == dana.pk)
    response = editor.post(move_url(demo), {"person": dana.pk, "manager": demo.ml_head.pk,
                                            "expected": version})
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and data["previous"] == previous and data["manager"] == demo.ml_head.pk
    assert f"Dana Kim now reports to {demo.ml_head.name}." == data["message"]
    dana.refresh_from_db()
    assert dana.manager_id == demo.ml_head.pk
    entry = dana.history.latest("history_date")
    assert entry.updated_via == "browser" and entry.updated_by_id == editor.user.pk
    # Undo is the same move back, with the version the answer gave.
    undo = editor.post(move_url(demo), {"person": dana.pk, "manager": previous,
                                        "expected": data["version"]})
    assert undo.status_code == 200
    dana.refresh_from_db()
    assert dana.manager_id == previous


def test_a_move_under_ones_own_report_is_refused_with_the_chain(editor, demo):
    head = demo.ml_head
    report = Person.objects.filter(manager=head).order_by("name").first()
    response = editor.post(move_url(demo), {"person": head.pk, "manager": report.pk})
    assert response.status_code == 400
    message = response.json()["message"]
    assert "loop" in message and head.name in message and report.name in message
    head.refresh_from_db()
    assert head.manager_id != report.pk


def test_a_stale_move_answers_the_conflict_and_changes_nothing(editor, demo):
    dana = Person.objects.get(organisation=demo, name="Dana Kim")
    response = editor.post(move_url(demo), {"person": dana.pk, "manager": demo.ml_head.pk,
                                            "expected": "2000-01-01T00:00:00+00:00"})
    assert response.status_code == 409
    assert response.json()["conflict"] is True
    dana.refresh_from_db()
    assert dana.manager_id != demo.ml_head.pk


def test_viewers_cannot_move_and_strangers_are_not_found(viewer, editor, demo):
    dana = Person.objects.get(organisation=demo, name="Dana Kim")
    assert viewer.post(move_url(demo), {"person": dana.pk,
                                        "manager": demo.ml_head.pk}).status_code == 403
    stranger = PersonFactory(organisation=OrganisationFactory())
    assert editor.post(move_url(demo), {"person": stranger.pk,
                                        "manager": demo.ml_head.pk}).status_code == 404
    assert editor.post(move_url(demo), {"person": dana.pk,
                                        "manager": stranger.pk}).status_code == 404
    html = viewer.get(f"/orgs/{demo.slug}/chart/").content.decode()
    assert 'data-editable="false"' in html


def test_the_whole_ml_org_comes_for_a_download(viewer, demo):
    data = viewer.get(data_url(demo, "?scope=ml-org")).json()
    ids = {node["id"] for node in data["nodes"]}
    head = demo.ml_head
    under = set()
    stack = [head.pk]
    while stack:
        reports = list(Person.objects.filter(manager_id=stack.pop()).values_list("pk", flat=True))
        under.update(reports)
        stack.extend(reports)
    assert under | {head.pk} <= ids
    # And the way down to the head, so the tree has its one root.
    assert sum(1 for node in data["nodes"] if node["parentId"] is None) == 1


def test_someone_outside_the_tree_drawn_is_sent_as_elsewhere_not_as_a_second_root(viewer, demo):
    loner = PersonFactory(organisation=demo, name="Lone Contractor")  # no manager
    data = viewer.get(data_url(demo, f"?reveal={loner.pk}")).json()
    assert data["nodes"] == [] and data["found"] == loner.pk
    assert data["elsewhere"] == f"/orgs/{demo.slug}/chart/?root={loner.pk}"
    assert viewer.get(data_url(demo, "?find=lone contr")).json()["elsewhere"] == data["elsewhere"]
