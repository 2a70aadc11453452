"""A scenario's base: its origin as it was copied, kept with the scenario (`ScenarioBase`),
so that what the scenario changed can be said change by change
(`orgdesign.analysis.changeset`), whatever the live design did since.

`read_design` reads any design's objects as plain values (one query per table); a scenario's
are then put in its origin's ids (`in_origin_ids`) through the maps the copy kept, so the
base and the scenario name each object the same way. A scenario copied before bases were
kept has none: its changes cannot be listed (`changes_of` answers None).
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from dataclasses import dataclass

from orgdesign.analysis.changeset import (
    DesignChange,
    DesignRows,
    changes_between,
    findings_by_change,
)
from orgdesign.analysis.compare import findings_diff
from orgdesign.analysis.kept import analyses_of, derived
from pipelines.models import Engagement, Pipeline, Position
from teams.models import Membership, Organisation, Person, ScenarioBase, Team

PERSON = ["name", "title", "role", "worker_type", "level", "department", "email", "external_id",
          "active"]
TEAM = ["name", "kind", "kpi", "kpi_type", "external_id"]
PIPELINE = ["name", "lifecycle", "tier", "metric", "required_stages"]
POSITION = ["title", "role", "level", "fte", "status", "target_date"]
# The tables whose ids a copy maps, by the name DesignRows gives them.
MAPPED = ("people", "teams", "pipelines", "positions")


def _json(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _ref(value) -> str | None:
    return None if value is None else str(value)


def read_design(organisation: Organisation) -> DesignRows:
    """Every object of the design, as DesignRows keyed by its own ids. Six queries."""
    return _read(organisation, None)


def read_rows(organisation: Organisation, keys: dict[str, set[str]]) -> DesignRows:
    """Only the objects `keys` names (by table, as DesignRows keys them) of the design: what
    a merge wrote, read back. A query per table named."""
    return _read(organisation, keys)


def _read(organisation: Organisation, keys: dict[str, set[str]] | None) -> DesignRows:
    def wanted(table: str) -> bool:
        return keys is None or bool(keys.get(table))

    def ids(table: str) -> dict:
        return {} if keys is None else {"pk__in": keys[table]}

    def parts(table: str, first: str) -> dict:
        """A pair's filter: its first objects (`first`) and its teams."""
        if keys is None:
            return {}
        split = [key.split("-", 1) for key in keys[table]]
        return {f"{first}__in": {a for a, _ in split}, "team_id__in": {b for _, b in split}}

    rows = DesignRows()
    if wanted("people"):
        for pk, manager, *values in Person.objects.filter(
                organisation=organisation, **ids("people")).values_list(
                "id", "manager_id", *PERSON):
            rows.people[str(pk)] = {**dict(zip(PERSON, values, strict=True)),
                                    "manager": _ref(manager)}
    if wanted("teams"):
        for pk, lead, *values in Team.objects.filter(
                organisation=organisation, **ids("teams")).values_list("id", "lead_id", *TEAM):
            rows.teams[str(pk)] = {**dict(zip(TEAM, values, strict=True)), "lead": _ref(lead)}
    if wanted("memberships"):
        for person, team, allocation in Membership.objects.filter(
                team__organisation=organisation, **parts("memberships", "person_id")
        ).values_list("person_id", "team_id", "allocation"):
            rows.memberships[f"{person}-{team}"] = {"allocation": allocation}
    if wanted("pipelines"):
        for pk, pm, *values in Pipeline.objects.filter(
                organisation=organisation, **ids("pipelines")).values_list(
                "id", "pm_owner_id", *PIPELINE):
            rows.pipelines[str(pk)] = {**dict(zip(PIPELINE, values, strict=True)),
                                       "pm_owner": _ref(pm)}
    if wanted("engagements"):
        for pipeline, team, role, effort in Engagement.objects.filter(
                pipeline__organisation=organisation, **parts("engagements", "pipeline_id")
        ).values_list("pipeline_id", "team_id", "role", "effort"):
            rows.engagements[f"{pipeline}-{team}"] = {"role": role, "effort": effort}
    if wanted("positions"):
        for pk, team, pipeline, person, *values in Position.objects.filter(
                organisation=organisation, **ids("positions")).values_list(
                "id", "team_id", "pipeline_id", "person_id", *POSITION):
            rows.positions[str(pk)] = {
                **{name: _json(v) for name, v in zip(POSITION, values, strict=True)},
                "team": _ref(team), "pipeline": _ref(pipeline), "person": _ref(person)}
    if keys is not None:
        # A pair's filter on each part reads the other pairs of the same people and teams.
        for table in ("memberships", "engagements"):
            table_rows = getattr(rows, table)
            for key in set(table_rows) - set(keys.get(table, ())):
                del table_rows[key]
    return rows


def base_take(*, scenario: Organisation, origin: Organisation, ids: dict[str, dict]) -> None:
    """Keep `origin` as the copy read it (call it in the copy's snapshot) with the maps of
    ids the copy made (origin -> scenario, by table)."""
    ScenarioBase.objects.create(
        scenario=scenario, origin=origin, data=read_design(origin).as_dict(),
        ids={table: {str(a): b for a, b in ids.get(table, {}).items()} for table in MAPPED},
    )


def in_origin_ids(rows: DesignRows, ids: dict[str, dict]) -> DesignRows:
    """A scenario's rows named by its origin's ids; what the scenario added keeps its own id,
    as `new<id>`."""
    back = {table: {str(b): a for a, b in ids.get(table, {}).items()} for table in MAPPED}

    def key(table: str, value) -> str | None:
        if value is None:
            return None
        return back[table].get(str(value), f"new{value}")

    return rekey(rows, key)


def rekey(rows: DesignRows, key) -> DesignRows:
    """The same rows with every id, and every reference to one, put through
    `key(table, id)` (the table of the object named: people, teams, pipelines, positions)."""
    out = DesignRows()
    for pk, row in rows.people.items():
        out.people[key("people", pk)] = {**row, "manager": key("people", row["manager"])}
    for pk, row in rows.teams.items():
        out.teams[key("teams", pk)] = {**row, "lead": key("people", row["lead"])}
    for pk, row in rows.pipelines.items():
        out.pipelines[key("pipelines", pk)] = {**row, "pm_owner": key("people", row["pm_owner"])}
    for pair, row in rows.memberships.items():
        person, team = pair.split("-")
        out.memberships[f"{key('people', person)}-{key('teams', team)}"] = row
    for pair, row in rows.engagements.items():
        pipeline, team = pair.split("-")
        out.engagements[f"{key('pipelines', pipeline)}-{key('teams', team)}"] = row
    for pk, row in rows.positions.items():
        out.positions[key("positions", pk)] = {
            **row, "team": key("teams", row["team"]), "pipeline": key("pipelines", row["pipeline"]),
            "person": key("people", row["person"])}
    return out


@dataclass(frozen=True, eq=False)
class KeptChanges:
    """A scenario's change list with what its findings need: the scenario's rows in the
    origin's ids, and its own ids back to the origin's. Shared: nothing may change it."""

    changes: list[DesignChange]
    rows: DesignRows
    back: dict[str, dict[int, str]]
    base: DesignRows


# The change lists of the last scenarios read, by scenario, design version and base (its id
# and when it was taken): any write of the scenario changes its version, a rebase its base.
# At L a list takes the better part of a second to make (the base unpacked, the scenario
# read and rekeyed) and a few milliseconds to serve kept. Versions are random, so a list
# made in a transaction rolled back is kept under a version that never comes back.
KEPT_MAX = 2
_kept: OrderedDict[tuple, KeptChanges] = OrderedDict()
_lock = threading.Lock()


def kept_changes(scenario: Organisation) -> KeptChanges | None:
    """The scenario's change list (see KeptChanges), made once per version of the scenario
    and of its base; None when it has no base. One query when kept."""
    head = ScenarioBase.objects.filter(scenario=scenario).values_list(
        "pk", "taken_at", "scenario__design_version").first()
    if head is None:
        return None
    key = (scenario.pk, *head)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    base = ScenarioBase.objects.get(pk=head[0])
    rows = in_origin_ids(read_design(scenario), base.ids)
    back = {kind: {int(b): str(a) for a, b in base.ids.get(table, {}).items()}
            for kind, table in (("person", "people"), ("team", "teams"),
                                ("pipeline", "pipelines"))}
    kept_base = DesignRows.from_dict(base.data)
    made = KeptChanges(changes_between(kept_base, rows), rows, back, kept_base)
    with _lock:
        _kept[key] = made
        while len(_kept) > KEPT_MAX:
            _kept.popitem(last=False)
    return made


_rows: OrderedDict[tuple, DesignRows] = OrderedDict()


def live_rows(organisation: Organisation) -> DesignRows:
    """`read_design(organisation)`, kept in the process under the design's version (read
    afresh, one query): a scenario's page and its merge plan read their origin on every
    request. Shared: nothing may change what it answers."""
    version = Organisation.objects.values_list("design_version", flat=True).get(
        pk=organisation.pk)
    key = (organisation.pk, version)
    with _lock:
        found = _rows.get(key)
        if found is not None:
            _rows.move_to_end(key)
            return found
    made = read_design(organisation)
    with _lock:
        _rows[key] = made
        while len(_rows) > KEPT_MAX:
            _rows.popitem(last=False)
    return made


def changes_of(scenario: Organisation) -> list[DesignChange] | None:
    """What the scenario changed since it was copied, or None when it has no base."""
    kept = kept_changes(scenario)
    return None if kept is None else kept.changes


def findings_of_changes(scenario: Organisation, changes: list[DesignChange]) -> dict:
    """For each change of the scenario, the findings of the live design it fixes and the
    ones it brings (`changeset.findings_by_change`), from the two designs' kept analyses.
    The live design's own changes since the copy count too: a finding the live design fixed
    meanwhile is not the scenario's to fix."""
    kept = kept_changes(scenario)
    if kept is None or not changes:
        return {}
    analyses = analyses_of([scenario.scenario_of, scenario])
    live, mine = analyses[scenario.scenario_of_id], analyses[scenario.pk]
    fixed, introduced = derived(live, ("findings_diff", mine.version), lambda: findings_diff(
        live.index, mine.index, live.findings, mine.findings))
    return findings_by_change(changes, fixed, introduced, kept.back, kept.rows)
