"""The org chart: which part of the solid-line tree a page shows, as plain nodes.

Pure functions over an `OrgIndex` (no queries): the view loads the design once and hands the
index in. A whole company synced from HR has 50,000 people, so a page never shows them all.
It opens the way from the top of the organisation down to the ML head, then the ML org level
by level while the page stays under `NODE_BUDGET` people; everyone deeper is a collapsed node
with the count of people under them, whose reports the page loads on demand. A manager shows
at most `CHILDREN_LIMIT` reports at a time, followed by a "more" link.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from orgdesign.analysis.finding import Finding
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.reporting import chain_of
from orgdesign.analysis.rules.dependencies import dependency_rules
from teams.models import SPECIALISED_KINDS, Role, Team

# People a page shows at most before it stops opening levels (a level opens whole or not at
# all). About 0.5 KiB of HTML each.
NODE_BUDGET = 400
# Reports shown under one manager at a time; the rest come in chunks of the same size.
CHILDREN_LIMIT = 100
# Levels opened below the ML head (or the root of a sub-chart), the head's own included.
OPEN_LEVELS = 3


@dataclass
class ChartNode:
    """One person in the chart, with their reports when the node is open."""

    person_id: int
    name: str
    role: str
    active: bool
    in_ml_org: bool | None
    is_ml_head: bool
    main_team: Team | None
    main_team_in_ml_org: bool | None
    main_team_specialised: bool
    # dependency.outside_ml_org findings of the teams this person leads.
    dependencies: list[Finding]
    report_count: int
    people_under: int
    title: str = ""
    version: str = ""  # what an edit from the chart sends back (teams.services.version_of)
    expanded: bool = False
    children: list[ChartNode] = field(default_factory=list)
    # Where the next chunk of reports starts, and how many are left, when not all are shown.
    next_offset: int = 0
    remaining: int = 0

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role

    def walk(self) -> Iterator[ChartNode]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Ancestor:
    person_id: int
    name: str


class OrgChart:
    """Builds the nodes of one page over an `OrgIndex`; each method is one way in."""

    def __init__(
        self,
        index: OrgIndex,
        *,
        node_budget: int = NODE_BUDGET,
        children_limit: int = CHILDREN_LIMIT,
        open_levels: int = OPEN_LEVELS,
    ):
        self.index = index
        self.node_budget = node_budget
        self.children_limit = children_limit
        self.open_levels = open_levels

    # Derived once per request --------------------------------------------------------------

    @cached_property
    def people_under(self) -> dict[int, int]:
        """How many people report, directly or not, to each person (inactive ones included:
        chains pass through people who have left)."""
        manager_of = self.index.manager_of
        preorder: list[int] = []
        seen: set[int] = set()
        stack = [
            person_id
            for person_id, manager_id in manager_of.items()
            if manager_id is None or manager_id not in manager_of
        ]
        while stack:
            person_id = stack.pop()
            if person_id in seen:
                continue
            seen.add(person_id)
            preorder.append(person_id)
            stack.extend(self.index.children.get(person_id, ()))
        under = dict.fromkeys(preorder, 0)
        # Reversed preorder meets everyone after all the people below them.
        for person_id in reversed(preorder):
            manager_id = manager_of[person_id]
            if manager_id in under:
                under[manager_id] += under[person_id] + 1
        return under

    @cached_property
    def ml_head_chain(self) -> set[int]:
        return set(self.index.head_chain)

    @cached_property
    def dependencies_by_lead(self) -> dict[int, list[Finding]]:
        result: dict[int, list[Finding]] = {}
        for finding in dependency_rules(self.index):
            team = self.index.teams_by_id[finding.subject.id]
            result.setdefault(team.lead_id, []).append(finding)
        return result

    def reports_of(self, person_id: int) -> list[int]:
        """Direct reports in the order the chart shows them: the way to the ML head first,
        then by name. The order is the same on every request, so chunks do not overlap."""
        people = self.index.people_by_id
        return sorted(
            self.index.children.get(person_id, ()),
            key=lambda pid: (pid not in self.ml_head_chain, people[pid].name.casefold(), pid),
        )

    # Nodes ---------------------------------------------------------------------------------

    def node(self, person_id: int) -> ChartNode:
        index = self.index
        person = index.people_by_id[person_id]
        team = index.main_team(person_id)
        return ChartNode(
            person_id=person_id,
            name=person.name,
            role=person.role,
            active=person.active,
            in_ml_org=index.in_ml_org(person_id),
            is_ml_head=index.ml_head is not None and index.ml_head.id == person_id,
            main_team=team,
            main_team_in_ml_org=index.team_in_ml_org(team) if team is not None else None,
            main_team_specialised=team is not None and team.kind in SPECIALISED_KINDS,
            dependencies=self.dependencies_by_lead.get(person_id, []),
            report_count=len(index.children.get(person_id, ())),
            people_under=self.people_under.get(person_id, 0),
        )

    def open(self, node: ChartNode, offset: int = 0) -> ChartNode:
        """Show one chunk of the node's reports, collapsed, from `offset`."""
        reports = self.reports_of(node.person_id)
        chunk = reports[offset : offset + self.children_limit]
        node.expanded = True
        node.children = [self.node(person_id) for person_id in chunk]
        node.next_offset = offset + len(chunk)
        node.remaining = max(len(reports) - node.next_offset, 0)
        return node

    def open_levels_below(self, start: ChartNode, shown: int) -> int:
        """Open `start`, then the levels below it while the page stays under the budget.

        Returns how many nodes the page shows then."""
        level = [start]
        depth = 0
        while level and depth < self.open_levels:
            managers = [node for node in level if node.report_count]
            cost = sum(min(node.report_count, self.children_limit) for node in managers)
            if depth > 0 and shown + cost > self.node_budget:
                break
            for node in managers:
                self.open(node)
            shown += cost
            level = [child for node in managers for child in node.children]
            depth += 1
        return shown

    # Pages ---------------------------------------------------------------------------------

    def main_tree(self) -> ChartNode | None:
        """The tree of the top of the organisation: open down to the ML head, then the ML
        org's first levels (without an ML head, the top's first levels). None when empty."""
        top = self.index.top_of_organisation
        if top is None:
            return None
        root = self.node(top)
        shown = 1
        head = self.index.ml_head
        start = root
        if head is not None:
            # reports_of puts the way to the head first, so it is always in the first chunk.
            while start.person_id != head.id:
                self.open(start)
                shown += len(start.children)
                start = start.children[0]
        self.open_levels_below(start, shown)
        return root

    def subtree(self, person_id: int, offset: int = 0) -> ChartNode:
        """The chart under one person (a page of its own), their reports from `offset`."""
        root = self.node(person_id)
        if offset:
            self.open(root, offset)
            return root
        self.open_levels_below(root, 1)
        return root

    def whole(self, person_id: int) -> ChartNode:
        """Everyone under one person, every level open (a download of the whole ML org)."""
        root = self.node(person_id)
        stack = [root]
        while stack:
            node = stack.pop()
            reports = self.reports_of(node.person_id)
            node.expanded = bool(reports)
            node.children = [self.node(pid) for pid in reports]
            node.next_offset = len(reports)
            stack.extend(node.children)
        return root

    def reports_chunk(self, person_id: int, offset: int = 0) -> ChartNode:
        """One person with a chunk of their reports, collapsed: the on-demand fragment."""
        return self.open(self.node(person_id), offset)

    def ancestors(self, person_id: int) -> list[Ancestor]:
        """The people above `person_id`, from the top of their tree down."""
        people = self.index.people_by_id
        chain = chain_of(self.index.manager_of, person_id)[1:]
        return [Ancestor(pid, people[pid].name) for pid in reversed(chain) if pid in people]

    def other_roots(self) -> list[int]:
        """People without a manager other than the top of the organisation, the largest
        trees first."""
        top = self.index.top_of_organisation
        people = self.index.people_by_id
        roots = [
            person.id
            for person in self.index.data.people
            if person.id != top
            and (person.manager_id is None or person.manager_id not in people)
        ]
        roots.sort(
            key=lambda pid: (-self.people_under.get(pid, 0), people[pid].name.casefold(), pid)
        )
        return roots


def person_ids(nodes: Iterable[ChartNode]) -> set[int]:
    """Everyone a page shows, to fetch their titles in one query."""
    return {node.person_id for top in nodes for node in top.walk()}


def set_titles(
    nodes: Iterable[ChartNode], titles: dict[int, str], versions: dict[int, str] | None = None
) -> None:
    for top in nodes:
        for node in top.walk():
            node.title = titles.get(node.person_id, "")
            node.version = (versions or {}).get(node.person_id, "")


# The picture: the same tree as flat nodes for the drawn chart (d3-org-chart) ---------------

# People with an error whose way down the picture opens from the first view, at most, beside
# every dependency lead (the rest are in the side list and opened on demand).
REVEAL_LIMIT = 50


def problem_people(chart: OrgChart, findings: list[Finding]) -> list[int]:
    """The people the picture must show from the first view: the leads of teams the ML org
    depends on from outside it, then everyone with an error-level finding about them."""
    people = chart.index.people_by_id
    found: list[int] = []
    for lead_id in chart.dependencies_by_lead:
        if lead_id in people and lead_id not in found:
            found.append(lead_id)
    for finding in findings:
        if (finding.severity == "error" and finding.subject.type == "person"
                and finding.subject.id in people and finding.subject.id not in found):
            found.append(finding.subject.id)
    return found


def reveal(chart: OrgChart, root: ChartNode, person_id: int) -> bool:
    """Open the way from `root` down to `person_id`: each manager on it shows the next one
    down (not a whole chunk of reports: a picture of a large company would swell by a hundred
    boxes a step; the rest load on demand). False when they are not under `root`."""
    chain = list(reversed(chain_of(chart.index.manager_of, person_id)))
    if not chain or chain[0] != root.person_id:
        return False
    node = root
    for next_id in chain[1:]:
        if not node.expanded:
            node.expanded = True  # showing only the way down; its chunks start at 0
        child = next((c for c in node.children if c.person_id == next_id), None)
        if child is None:
            child = chart.node(next_id)
            node.children.append(child)
            node.remaining = max(node.remaining - 1, 0)
        node = child
    return True


def way_down(chart: OrgChart, person_id: int) -> list[ChartNode]:
    """The people from the top of `person_id`'s tree down to them, each open on the next."""
    chain = [ancestor.person_id for ancestor in chart.ancestors(person_id)] + [person_id]
    nodes = [chart.node(pid) for pid in chain]
    for upper, lower in zip(nodes, nodes[1:], strict=False):
        upper.expanded, upper.children = True, [lower]
    return nodes


FindingsBySubject = dict[tuple[str, int], list[Finding]]


def picture_nodes(
    tops: list[ChartNode], parent_of_top: int | None, by_subject: FindingsBySubject
) -> list[dict]:
    """Flat nodes for the picture: each person once, with their manager's id (`parentId`) and
    the marks a box shows."""
    nodes = []
    for top in tops:
        stack = [(top, parent_of_top)]
        while stack:
            node, parent_id = stack.pop()
            nodes.append(picture_node(node, parent_id, by_subject))
            stack.extend((child, node.person_id) for child in reversed(node.children))
    return nodes


def picture_node(node: ChartNode, parent_id: int | None, by_subject: FindingsBySubject) -> dict:
    """One box: the person, their manager's id, and their findings (`by_subject` as
    `matrix.findings_by_subject` groups them)."""
    findings = [*node.dependencies, *by_subject.get(("person", node.person_id), ())]
    return {
        "id": node.person_id,
        "parentId": parent_id,
        "name": node.name,
        "title": node.title,
        "version": node.version,
        "role": node.role_label,
        "team": node.main_team.name if node.main_team is not None else "",
        "teamOutside": node.main_team_in_ml_org is False and node.main_team_specialised,
        "inMlOrg": node.in_ml_org,
        "mlHead": node.is_ml_head,
        "active": node.active,
        "reports": node.report_count,
        "under": node.people_under,
        "shown": len(node.children),
        # Where the next chunk of reports to load starts (chart_data's `offset`).
        "next": node.next_offset,
        # d3-org-chart shows a node whose own `_expanded` is set: everyone sent is shown.
        "_expanded": True,
        "findings": [
            {"code": f.code, "severity": f.severity, "message": f.message} for f in findings
        ],
    }


def seat_nodes(index: OrgIndex, nodes: list[dict]) -> list[dict]:
    """An "open seat" box under each lead in `nodes` for every open position of the teams
    they lead (planned capacity, drawn dashed: docs/design.md section 4). Their ids are
    "seat-<position id>", never a person's."""
    seats = []
    for node in nodes:
        for team_id in index.led_team_ids_by_person.get(node["id"], ()):
            team = index.teams_by_id[team_id]
            for position in index.open_positions_by_team.get(team_id, ()):
                seats.append({
                    "id": f"seat-{position.id}", "parentId": node["id"], "seat": True,
                    "positionId": position.id, "name": f"Open seat: {position.title}",
                    "title": position.title, "fte": position.fte, "team": team.name,
                    "findings": [], "_expanded": True,
                })
    return seats
