"""Which part of the reporting tree the org chart shows (orgdesign/analysis/chart.py), on
unsaved model instances and no database."""

from orgdesign.analysis.chart import OrgChart, person_ids, set_titles
from orgdesign.analysis.orgdata import OrgIndex
from pipelines.models import EngagementRole
from teams.models import Person, Role, TeamKind
from tests.builders import OrgBuilder


def chart_of(org: OrgBuilder, **options) -> OrgChart:
    return OrgChart(OrgIndex(org.data()), **options)


def reports(org: OrgBuilder, manager: Person, count: int, prefix: str) -> list[Person]:
    return [org.person(f"{prefix} {n}", manager=manager) for n in range(count)]


def company() -> tuple[OrgBuilder, dict[str, Person]]:
    """CEO > (Zed the VP Sales, Vera the ML head); the ML org three levels deep."""
    org = OrgBuilder()
    ceo = org.person("Ceo", role=Role.EXECUTIVE)
    # Named to sort before the way to the ML head, which must still come first.
    sales = org.person("Abel Sales", role=Role.EXECUTIVE, manager=ceo)
    head = org.person("Vera", role=Role.EXECUTIVE, manager=ceo)
    org.set_ml_head(head)
    director = org.person("Dora", role=Role.SCIENCE_MANAGER, manager=head)
    manager = org.person("Mona", role=Role.SCIENCE_MANAGER, manager=director)
    scientist = org.person("Sami", role=Role.SCIENTIST, manager=manager)
    seller = org.person("Seller", manager=sales)
    return org, {
        "ceo": ceo, "sales": sales, "head": head, "director": director, "manager": manager,
        "scientist": scientist, "seller": seller,
    }


def test_the_main_tree_opens_the_way_from_the_top_down_to_the_ml_head():
    org, people = company()

    root = chart_of(org).main_tree()

    assert root.person_id == people["ceo"].id and root.expanded
    # The way to the head comes first, before a name that sorts earlier.
    assert [child.person_id for child in root.children] == [
        people["head"].id, people["sales"].id
    ]
    sales = root.children[1]
    assert not sales.expanded and sales.children == []
    assert (sales.report_count, sales.people_under) == (1, 1)


def test_the_ml_org_opens_level_by_level_and_deeper_levels_stay_collapsed():
    org, people = company()

    root = chart_of(org, open_levels=2).main_tree()

    head = root.children[0]
    director = head.children[0]
    manager = director.children[0]
    assert head.expanded and director.expanded
    assert manager.person_id == people["manager"].id
    assert not manager.expanded and manager.people_under == 1


def test_levels_stop_opening_when_the_page_would_show_more_people_than_the_budget():
    org = OrgBuilder()
    head = org.person("Head")
    org.set_ml_head(head)
    leads = reports(org, head, 3, "Lead")
    for lead in leads:
        reports(org, lead, 5, f"{lead.name} report")

    generous = chart_of(org, node_budget=100).main_tree()
    tight = chart_of(org, node_budget=10).main_tree()

    assert all(lead.expanded for lead in generous.children)
    # Head and its 3 leads fit; their 15 reports would not, so no lead opens.
    assert tight.expanded and not any(lead.expanded for lead in tight.children)


def test_people_under_counts_everyone_below_including_through_people_who_left():
    org = OrgBuilder()
    top = org.person("Top")
    left = org.person("Gone", manager=top, active=False)
    below = org.person("Below", manager=left)
    org.person("Deepest", manager=below)
    chart = chart_of(org)

    assert chart.people_under[top.id] == 3
    assert chart.people_under[left.id] == 2
    node = chart.node(left.id)
    assert not node.active and node.people_under == 2


def test_a_wide_span_comes_in_chunks_that_do_not_overlap():
    org = OrgBuilder()
    boss = org.person("Boss")
    reports(org, boss, 7, "Report")
    chart = chart_of(org, children_limit=3)

    first = chart.reports_chunk(boss.id)
    second = chart.reports_chunk(boss.id, first.next_offset)
    last = chart.reports_chunk(boss.id, second.next_offset)

    assert (len(first.children), first.next_offset, first.remaining) == (3, 3, 4)
    assert (len(second.children), second.remaining) == (3, 1)
    assert (len(last.children), last.remaining) == (1, 0)
    shown = [c.person_id for chunk in (first, second, last) for c in chunk.children]
    assert sorted(shown) == sorted(chart.index.children[boss.id])
    assert all(not child.expanded for child in first.children)


def test_people_are_marked_in_or_outside_the_ml_org():
    org, people = company()
    chart = chart_of(org)

    assert chart.node(people["scientist"].id).in_ml_org is True
    assert chart.node(people["head"].id).is_ml_head
    assert chart.node(people["seller"].id).in_ml_org is False
    assert chart.node(people["ceo"].id).in_ml_org is False


def test_without_an_ml_head_nobody_is_in_or_out_and_the_largest_tree_is_the_top():
    org = OrgBuilder()
    small = org.person("Small")
    org.person("Small report", manager=small)
    big = org.person("Big")
    reports(org, big, 3, "Big report")
    chart = chart_of(org)

    root = chart.main_tree()

    assert root.person_id == big.id and root.expanded
    assert root.in_ml_org is None
    assert chart.other_roots() == [small.id]


def test_the_lead_of_a_specialised_team_outside_the_ml_org_carries_the_dependency():
    org, people = company()
    platform = org.team("Compute", kind=TeamKind.INFRASTRUCTURE, lead=people["seller"])
    modeling = org.team("Models", kind=TeamKind.MODELING, lead=people["manager"])
    org.member(people["seller"], platform)
    pipeline = org.pipeline("Feed ranking")
    org.engage(pipeline, platform, EngagementRole.SERVICE)
    org.engage(pipeline, modeling)
    chart = chart_of(org)

    seller = chart.node(people["seller"].id)
    manager = chart.node(people["manager"].id)

    assert [f.code for f in seller.dependencies] == ["dependency.outside_ml_org"]
    assert seller.main_team == platform and seller.main_team_in_ml_org is False
    assert manager.dependencies == []


def test_other_roots_leave_out_the_top_and_put_the_largest_trees_first():
    org, people = company()
    alone = org.person("Alone")
    newcomer = org.person("Newcomer")
    org.person("Newcomer's report", manager=newcomer)

    assert chart_of(org).other_roots() == [newcomer.id, alone.id]


def test_a_sub_chart_opens_from_its_own_root_and_lists_the_people_above():
    org, people = company()
    chart = chart_of(org)

    root = chart.subtree(people["director"].id)

    assert root.expanded and root.children[0].expanded
    assert [a.person_id for a in chart.ancestors(people["director"].id)] == [
        people["ceo"].id, people["head"].id
    ]


def test_titles_are_set_on_every_node_shown():
    org, people = company()
    root = chart_of(org).main_tree()
    ids = person_ids([root])

    set_titles([root], {person_id: f"T{person_id}" for person_id in ids})

    assert people["scientist"].id in ids
    assert all(node.title == f"T{node.person_id}" for node in root.walk())
