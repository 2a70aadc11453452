"""The analysis of each design, kept in the web process until the design changes.

Loading a design of 50,000 people and judging it takes the better part of a second; a page
that shows it takes a fraction of that. So the analysis (the loaded design, its `OrgIndex`
with every fact it has derived, the findings of each rule, the structure, the capacity and
the findings of plan mode, each made when first read) is kept here under the design's
version (`teams.design_version`), which every write of the design changes in its own
transaction. A page reads the organisation (one query it makes anyway), and reuses
the kept analysis when the versions match: several web processes each keep their own, and
none can serve one older than the design it reads, because the version is read before the
design is loaded.

The versions are random: an analysis made inside a transaction that is rolled back is kept
under a version that never comes back. An organisation read before this connection wrote a
design is read again (`Organisation.read_since_write`), so a page that writes and then shows
the design shows what it wrote.

A cell of the matrix changed by a browser (`after_cell_write`) re-reads the cells only and
runs again the rules that read them, instead of the whole design.

This module is the doors' only way to a design's analysis (`analysis_of`, `analyses_of`,
`after_cell_write`, `ml_org_of_teams`): none of them calls the loader (an import-linter
contract in pyproject.toml).
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from django.conf import settings
from django.db import transaction

from orgdesign.analysis.capacity import Capacity, capacity_of, costs_of
from orgdesign.analysis.compare import Comparison, compare_designs
from orgdesign.analysis.findings import (
    Finding,
    FindingsByRule,
    findings_after_cells,
    findings_by_rule,
    in_order,
)
from orgdesign.analysis.loader import load_as_of, load_engagements, load_many, load_org_data
from orgdesign.analysis.orgdata import OrgData, OrgIndex, PersonRow
from orgdesign.analysis.plan import plan_findings
from orgdesign.analysis.structure import Structure, classify_structure
from teams.design_version import writes_seen, written_version
from teams.models import Level, Organisation, Person, Team

T = TypeVar("T")


@dataclass(eq=False)
class Analysis:
    """One version of a design, analysed. Shared by the requests that read that version:
    nothing may change it."""

    version: int
    index: OrgIndex
    by_rule: FindingsByRule
    # What pages derive from this design and another (a comparison), by what it depends on
    # besides (`derived`).
    _derived: OrderedDict = field(default_factory=OrderedDict, repr=False)

    @property
    def data(self) -> OrgData:
        return self.index.data

    @cached_property
    def findings(self) -> list[Finding]:
        return in_order(self.by_rule)

    @cached_property
    def structure(self) -> Structure:
        return classify_structure(self.index.data, self.index)

    @cached_property
    def capacity(self) -> Capacity:
        """Each team's and pipeline's FTE, now and planned (no money: `capacity.costs_of`
        is computed for an admin's request, never kept)."""
        return capacity_of(self.index)

    @cached_property
    def plan_findings(self) -> list[Finding]:
        """The findings of the design once its open positions are filled (plan mode)."""
        return plan_findings(self.index, self.by_rule)

    @property
    def size(self) -> int:
        return len(self.index.data.people)


# How many derived results an analysis keeps: a live design compared with a few scenarios,
# each at its latest version.
DERIVED_MAX = 8


def derived(analysis: Analysis, key: tuple, make: Callable[[], T]) -> T:
    """What `make` derives from `analysis` and what `key` names (another design's version,
    the options), made once and kept with the analysis while it is kept. At L a comparison
    of two kept designs takes the better part of a second to make and nothing to serve."""
    with _lock:
        found = analysis._derived.get(key)
        if found is not None:
            analysis._derived.move_to_end(key)
            return found
    made = make()
    with _lock:
        analysis._derived[key] = made
        while len(analysis._derived) > DERIVED_MAX:
            analysis._derived.popitem(last=False)
    return made


_kept: OrderedDict[int, Analysis] = OrderedDict()
_lock = threading.Lock()


def _people_budget() -> int:
    """How many people the kept designs may hold together (about 1 KB each): the least used
    go first. The newest is kept whatever its size."""
    return getattr(settings, "ORGDESIGN_KEPT_PEOPLE", 120_000)


def kept(organisation_id: int, version: int) -> Analysis | None:
    with _lock:
        analysis = _kept.get(organisation_id)
        if analysis is None or analysis.version != version:
            return None
        _kept.move_to_end(organisation_id)
        return analysis


def _keep(organisation_id: int, analysis: Analysis) -> Analysis:
    with _lock:
        _kept[organisation_id] = analysis
        _kept.move_to_end(organisation_id)
        total = sum(each.size for each in _kept.values())
        while len(_kept) > 1 and total > _people_budget():
            _, dropped = _kept.popitem(last=False)
            total -= dropped.size
    return analysis


def forget_all() -> None:
    """Drop every kept analysis (tests: ids come back after a rolled-back test on SQLite)."""
    with _lock:
        _kept.clear()
        _past.clear()


def analyse_afresh(organisation: Organisation) -> Analysis:
    index = OrgIndex(load_org_data(organisation))
    return Analysis(organisation.design_version, index, findings_by_rule(index))


def analysis_of(organisation: Organisation) -> Analysis:
    """The analysis of the design as it is now: kept, or made and kept.

    `organisation` is the instance the view read; when this connection has written a design
    since, or the analysis is not kept, the organisation is read again (one query) so that
    its settings and version are read together, before the design is loaded."""
    if organisation.read_since_write:
        analysis = kept(organisation.pk, organisation.design_version)
        if analysis is not None:
            return analysis
    fresh = Organisation.objects.get(pk=organisation.pk)
    analysis = kept(fresh.pk, fresh.design_version)
    if analysis is not None:
        return analysis
    return _keep(fresh.pk, analyse_afresh(fresh))


def analyses_of(organisations: list[Organisation]) -> dict[int, Analysis]:
    """`analysis_of` for several designs (a design and its scenarios, the home page's list), by
    organisation id: the kept ones reused, the others loaded together in the same five
    queries whatever their number. The organisations must have been read after this
    connection's last write (or they are read again, in one query)."""
    organisations = list(organisations)
    if not all(organisation.read_since_write for organisation in organisations):
        fresh = Organisation.objects.in_bulk([organisation.pk for organisation in organisations])
        organisations = [fresh[organisation.pk] for organisation in organisations]
    found = {organisation.pk: kept(organisation.pk, organisation.design_version)
             for organisation in organisations}
    missing = [organisation for organisation in organisations if found[organisation.pk] is None]
    for pk, data in load_many(missing).items() if missing else ():
        index = OrgIndex(data)
        found[pk] = _keep(pk, Analysis(data.organisation.design_version, index,
                                       findings_by_rule(index)))
    return found


# The designs of the past last read (`analysis_as_of`), by organisation, moment and the
# design's version: a few, since each is as large as a design of today.
_past: OrderedDict[tuple, Analysis] = OrderedDict()
PAST_MAX = 4


def analysis_as_of(organisation: Organisation, at: datetime.datetime) -> Analysis | None:
    """The analysis of the design as its history says it was at `at` (`loader.load_as_of`),
    or None when the organisation did not exist yet. Kept under the design's version as well
    as the moment: a moment of today still to come (the end of today) reads the writes made
    since, which change the version."""
    key = (organisation.pk, at, organisation.design_version)
    with _lock:
        found = _past.get(key)
        if found is not None:
            _past.move_to_end(key)
            return found
    data = load_as_of(organisation, at)
    if data is None:
        return None
    index = OrgIndex(data)
    analysis = Analysis(organisation.design_version, index, findings_by_rule(index))
    with _lock:
        _past[key] = analysis
        while len(_past) > PAST_MAX:
            _past.popitem(last=False)
    return analysis


def after_cell_write(organisation: Organisation, write: Callable[[], object]) -> Analysis:
    """Run `write`, a write of cells of the matrix and of nothing else, and answer the
    analysis after it. When the design before the write is kept, only the cells are read
    again and only the rules that read them run again (`findings_after_cells`), over the
    facts already derived from the people. What `write` raises, it raises, having written
    nothing.

    The organisation's row is locked first, so no other write of the design can come between
    the version read here and the write."""
    with transaction.atomic():
        version = (
            Organisation.objects.select_for_update()
            .values_list("design_version", flat=True)
            .get(pk=organisation.pk)
        )
        before = kept(organisation.pk, version)
        writes = writes_seen()
        write()
    if writes_seen() == writes and before is not None:  # nothing written: the same design
        return before
    if before is None:
        return analysis_of(organisation)
    index = before.index.with_engagements(load_engagements(organisation))
    return _keep(
        organisation.pk,
        Analysis(written_version(organisation.pk), index,
                 findings_after_cells(index, before.by_rule)),
    )


def ml_org_of_teams(organisation: Organisation, teams: list[Team]) -> dict[int, bool | None]:
    """Whether each team is in the ML org (`OrgIndex.team_in_ml_org`: when its active lead
    is). Chains run through the whole company, so everyone's solid line is read, in one
    query; none when there is no active ML head and so nothing to tell."""
    head = organisation.ml_head
    if not teams or head is None or not head.active:
        return {team.id: None for team in teams}
    lines = Person.objects.filter(organisation=organisation).values_list(
        "id", "manager_id", "active"
    )
    people = [
        PersonRow(id=pk, name="", role="", manager_id=manager_id, active=active)
        for pk, manager_id, active in lines
    ]
    index = OrgIndex(
        OrgData(
            organisation=organisation,
            people=people,
            teams=teams,
            memberships=[],
            pipelines=[],
            engagements=[],
        )
    )
    return {team.id: index.team_in_ml_org(team) for team in teams}


def level_costs(organisation: Organisation) -> dict[str, int]:
    """The level table (name -> annual cost), for an admin's costs (`capacity.costs_of`): one
    query, never kept, so money is read only when someone who may see it asks."""
    return dict(
        Level.objects.filter(organisation=organisation).values_list("name", "annual_cost")
    )


def comparison_of(first: Organisation, second: Organisation, *, plan: bool,
                  money: bool, first_as: Analysis | None = None) -> Comparison:
    """`first` compared with `second` (`compare.compare_designs`) from their kept analyses,
    the findings of their plans when `plan`, costs when `money` (their level tables, one
    query each, read every time: money is never kept). Made once per pair of versions, the
    options and the level tables (`derived`). `first_as`, when given, is the first design's
    analysis to compare instead of today's (`analysis_as_of`: then against now)."""
    if first_as is not None:
        one, two = first_as, analysis_of(second)
    else:
        analyses = analyses_of([first, second])
        one, two = analyses[first.pk], analyses[second.pk]
    levels = (level_costs(first), level_costs(second)) if money else None

    def make() -> Comparison:
        return compare_designs(
            one.index, two.index,
            findings=((one.plan_findings, two.plan_findings) if plan
                      else (one.findings, two.findings)),
            capacities=(one.capacity, two.capacity),
            costs=((costs_of(one.index, levels[0], one.capacity),
                    costs_of(two.index, levels[1], two.capacity)) if levels else None),
        )

    key = ("compare", two.version, plan,
           tuple(tuple(sorted(table.items())) for table in levels) if levels else None)
    return derived(one, key, make)
