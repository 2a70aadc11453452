"""Scenarios: a copy of a design to try changes on, beside the live one.

A scenario is an organisation of its own, marked as a scenario of its origin
(`Organisation.scenario_of`), so every page, the API and the findings work on it unchanged.
The copy writes every table in bulk, in a fixed number of statements per thousand rows:
people first without their managers, then their managers in one pass, since a manager's new
id is only known once they are inserted. It reads its source from one snapshot
(`orgdesign.scenarios.snapshot`: REPEATABLE READ on PostgreSQL), so a sync writing the source at the
same time is either wholly in the copy or not at all. A copy records one history entry, on
the new organisation; a promotion one on its origin, and a deletion entry for every row of
the origin it replaces (in bulk), so the history page restores any of them. This module
writes to both apps' tables, so it lives above them, like the demo organisation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from orgdesign.analysis.remedies import Change
from orgdesign.scenarios.base import base_take
from orgdesign.scenarios.fixes import IdMap, apply_changes, record_copied
from orgdesign.scenarios.snapshot import snapshotted
from orgdesign.web.inputs import text_problem
from pipelines.catalog import catalog_copy
from pipelines.models import CatalogEntity, Engagement, Pipeline, Position
from teams import history
from teams.actor import SYSTEM, Actor
from teams.bulk import analyze, bulk_update, copy_within
from teams.models import (
    RESERVED_SLUGS,
    Door,
    Level,
    Membership,
    Organisation,
    Person,
    ScenarioBase,
    ScenarioMerge,
    Team,
)

BATCH = 2000
SLUG_MAX = Organisation._meta.get_field("slug").max_length

# The tables a copy writes one after the other, for its progress.
COPY_STEPS = 7

Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    pass


PERSON_FIELDS = [
    "external_id", "name", "email", "user_name", "given_name", "family_name", "title",
    "department", "role", "active", "scim_deleted_at", "worker_type", "user_type", "level",
]

# What a copy takes as it is, beside the person each team and pipeline names (`_copy_rows`).
TEAM_FIELDS = ["name", "kind", "kpi", "kpi_type", "external_id"]
PIPELINE_FIELDS = ["name", "lifecycle", "tier", "metric", "required_stages"]
POSITION_FIELDS = ["title", "role", "level", "fte", "status", "target_date"]
# Every model of a design: what a design's deletion takes the history of.
DESIGN_MODELS = (Organisation, Person, Team, Membership, Pipeline, Engagement, Level, Position)


def scenario_name(name: str) -> str:
    """The name a new scenario takes, checked before its copy is queued and when it runs."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the scenario a name."})
    if problem := text_problem(name):
        raise ValidationError({"name": f"The name {problem}."})
    return name[: Organisation._meta.get_field("name").max_length]


def scenario_slug(name: str) -> str:
    """A free slug derived from the scenario's name: `name`, `name-2`, `name-3`... never one
    of the app's own addresses (a scenario named "New" is at `new-2`, not under /orgs/new/)."""
    base = (slugify(name) or "scenario")[: SLUG_MAX - 6]
    taken = set(
        Organisation.objects.filter(slug__startswith=base).values_list("slug", flat=True)
    ) | RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def scenarios_max() -> int:
    return settings.ORGDESIGN_SCENARIOS_MAX


def check_scenario_room(home: Organisation) -> None:
    """Refuse a new scenario of a design that has as many as the setting allows: each is a
    whole copy of the design."""
    limit = scenarios_max()
    if Organisation.objects.filter(home=home).count() >= limit:
        raise ValidationError(
            {"name": f"{home.name} has {limit} scenarios, the most it may have; delete one "
                     "you no longer need first."}
        )


def scenario_create(**arguments) -> Organisation:
    """A copy of `origin` as a new scenario: `scenario_copy` (the same keyword arguments),
    without the maps of ids."""
    return scenario_copy(**arguments)[0]


@snapshotted
def scenario_copy(
    *,
    origin: Organisation,
    name: str,
    creator=None,
    private: bool = False,
    actor: Actor = SYSTEM,
    progress: Progress = _no_progress,
    changes: Sequence[Change] = (),
    reason: str = "",
    with_base: bool = True,
) -> tuple[Organisation, IdMap]:
    """A copy of `origin` (people, reporting and dotted lines, teams, memberships, pipelines,
    engagements, settings) marked as its scenario, made by `creator`. It belongs to the live
    design at the top of `origin`'s chain (its home), whose members see it with their role
    there (only its creator and the home's admins when `private`); tokens and members are
    never a scenario's own. `changes` (a remedy's, computed on `origin`) are then made in
    the copy, each recorded in its history; one refused leaves no scenario at all.
    Returns the scenario and the maps of ids the copy made. Without `with_base`, the caller
    keeps the scenario's base itself (a merge's undo counts from the design the merge makes)."""
    name = scenario_name(name)
    # First of all, lock the rows the copy will point at, its origin and home, as the snapshot
    # sees them: every write of a design changes its row (its version), and in the snapshot
    # the copy's own foreign keys to a row changed since would cancel it. So a sync of the
    # origin waits for the copy (seconds) rather than the copy failing, and a copy started
    # just after a write is cancelled at once and made again (orgdesign.scenarios.snapshot).
    # No key is locked, so writes of other scenarios of the home go on.
    pks = sorted({origin.pk, origin.home_id or origin.pk})
    rows = {row.pk: row for row in
            Organisation.objects.select_for_update(no_key=True).filter(pk__in=pks).order_by("pk")}
    origin = rows[origin.pk]
    home = rows[origin.home_id or origin.pk]
    # Two copies started in the same moment may both pass the cap (the snapshot of the second
    # predates the first's commit): it bounds how many copies a design keeps, not a race.
    check_scenario_room(home)
    scenario = Organisation(
        slug=scenario_slug(name),
        name=name,
        scenario_of=origin,
        home=home,
        # A copy of a private scenario holds the same design: as private as its origin.
        private=private or origin.private,
        created_by=creator if getattr(creator, "pk", None) else None,
        span_max=origin.span_max,
        layers_max=origin.layers_max,
        currency=origin.currency,
        **actor.fields(),
    )
    # The copy is recorded once, at its end: its rows are written in bulk, without an entry
    # each, and the organisation's own saves are left out too.
    with history.left_out(scenario):
        scenario.save()
    ids = copy_design(origin, scenario, actor=actor, progress=progress)
    # The origin as this copy read it (the same snapshot): what the scenario's changes are
    # counted from.
    if with_base:
        base_take(scenario=scenario, origin=origin,
                  ids={"people": ids.people, "teams": ids.teams, "pipelines": ids.pipelines,
                       "positions": ids.positions})
    if origin.ml_head_id is not None:
        scenario.ml_head_id = ids.people.get(origin.ml_head_id)
        with history.left_out(scenario):
            scenario.save(update_fields=["ml_head"])
    copied = f"Copied from {origin.name} ({origin.slug})"
    history.record([scenario], history.ADDED, organisation_id=scenario.pk,
                   reason=f"{copied}: {reason}" if reason else copied)
    if changes:
        record_copied(scenario, changes, ids, copied)
        apply_changes(organisation=scenario, changes=changes, ids=ids, actor=actor)
    return scenario, ids


@transaction.atomic
def scenario_delete(*, scenario: Organisation) -> None:
    """Delete a scenario with its history, and the scenarios copied from it. The live design
    is never deleted this way."""
    if scenario.home_id is None:
        raise ValidationError("This design is not a scenario; only scenarios are deleted here.")
    for copy in Organisation.objects.filter(scenario_of=scenario):
        scenario_delete(scenario=copy)
    design_delete(scenario)


@snapshotted
def scenario_promote(
    *,
    scenario: Organisation,
    creator=None,
    actor: Actor = SYSTEM,
    progress: Progress = _no_progress,
) -> Organisation:
    """Make `scenario` the design of its origin, in one transaction and one snapshot: the
    origin's people, teams, memberships, pipelines, engagements and settings are replaced by
    copies of the scenario's. The origin keeps its slug, members and tokens. What it held
    before is kept first as a new scenario of it, returned, so promoting that one undoes the
    promotion; every row it removes is also recorded as deleted in the origin's history, so
    the history page restores any of them."""
    # The scenario as of the snapshot: its ML head and settings go with its rows.
    scenario = Organisation.objects.select_related("scenario_of").get(pk=scenario.pk)
    origin = scenario.scenario_of
    if origin is None:
        raise ValidationError(
            "This design is not a scenario: there is nothing to promote it to."
        )
    # Whoever asks, and wherever from, the rows it writes came in through the promotion.
    actor = replace(actor, via=Door.PROMOTION)
    # Lock the origin: two promotions at once must not interleave their wipes and copies.
    origin = Organisation.objects.select_for_update().get(pk=origin.pk)
    # Three parts of COPY_STEPS steps each: keep the design, wipe it, copy the scenario in.
    backup = scenario_create(
        origin=origin,
        name=f"{origin.name} before {scenario.name}"[:200],
        creator=creator,
        actor=actor,
        progress=lambda done, total: progress(done, 3 * total),
    )
    _wipe_design(origin, recorded_as=actor, reason=promotion_reason(scenario, backup))
    # Every scenario of the origin counted its changes from rows the wipe just removed:
    # their bases name nothing now, so none of them merges or lists changes any more; the
    # origin's past merges, which name the same rows, can no longer be undone either.
    ScenarioBase.objects.filter(origin=origin).delete()
    ScenarioMerge.objects.filter(organisation=origin).delete()
    progress(2 * COPY_STEPS, 3 * COPY_STEPS)
    ids = copy_design(
        scenario,
        origin,
        actor=actor,
        progress=lambda done, total: progress(2 * total + done, 3 * total),
    )
    _record_design(origin, history.ADDED, actor=actor,
                   reason=promotion_reason(scenario, backup))
    origin.ml_head_id = ids.people.get(scenario.ml_head_id) if scenario.ml_head_id else None
    origin.span_max, origin.layers_max = scenario.span_max, scenario.layers_max
    origin.currency = scenario.currency
    actor.stamp(origin)
    # The promotion's entry on the organisation, naming what replaced its design and where
    # the design before it is kept (the rows it removed are recorded by the wipe).
    origin._change_reason = promotion_reason(scenario, backup)
    origin.save(
        update_fields=["ml_head", "span_max", "layers_max", "currency", *actor.fields()]
    )
    return backup


def promotion_reason(scenario: Organisation, backup: Organisation) -> str:
    return f"Promoted {scenario.name} ({scenario.slug}); the design before is kept as " \
        f"{backup.name} ({backup.slug})"


@transaction.atomic
def design_delete(organisation: Organisation) -> None:
    """Delete a design outright, with its history: its tables in bulk (a cascade through
    Model.delete() would read every row and write a history entry for each, minutes for the
    L organisation), then the organisation with its members, tokens and jobs. The scenarios
    of a live design go with it: they belong to it, and nobody else could see them."""
    for scenario in Organisation.objects.filter(home=organisation):
        _wipe_design(scenario)
        scenario_id = scenario.pk
        Organisation.objects.filter(pk=scenario_id).update(scenario_of=None)
        scenario.delete()
        for model in DESIGN_MODELS:
            model.history.filter(history_org=scenario_id).delete()
    _wipe_design(organisation)
    organisation_id = organisation.pk
    organisation.delete()
    for model in DESIGN_MODELS:
        model.history.filter(history_org=organisation_id).delete()


def _wipe_design(
    organisation: Organisation, *, recorded_as: Actor | None = None, reason: str = ""
) -> None:
    """Delete every row of a design but the organisation itself, its members and tokens.

    A plain DELETE per table, children first, so nothing cascades: Model.delete()'s signals
    would write a history entry per row, a query each. Rows still pointing at a deleted one
    would fail the foreign keys. With `recorded_as` (a promotion, by that actor), every row
    is first recorded as deleted, with its last values and `reason`, in bulk: one statement
    per table on PostgreSQL, per thousand rows elsewhere (`teams.history.record_ids`); the
    cells and memberships before their pipeline and team, which restoring those finds them
    by (`orgdesign.history.services`). Without it (a design deleted with its history) nothing is."""
    if recorded_as is not None:
        _record_design(organisation, history.DELETED, actor=recorded_as, reason=reason)
    # The catalog first: its matches by hand point at the teams and pipelines going. A
    # promotion copies the scenario's in.
    Organisation.objects.filter(pk=organisation.pk).update(ml_head=None, catalog_size=0)
    catalog = CatalogEntity.objects.filter(organisation=organisation)
    catalog._raw_delete(catalog.db)
    people = Person.objects.filter(organisation=organisation)
    # No manager left to point at: the people then go without updating one another.
    people.update(manager=None)
    for rows in (
        Position.objects.filter(organisation=organisation),
        Level.objects.filter(organisation=organisation),
        Engagement.objects.filter(pipeline__organisation=organisation),
        Pipeline.objects.filter(organisation=organisation),
        Membership.objects.filter(team__organisation=organisation),
        Team.objects.filter(organisation=organisation),
        Person.dotted_line_managers.through.objects.filter(
            from_person__organisation=organisation
        ),
        Person.dotted_line_managers.through.objects.filter(to_person__organisation=organisation),
        people,
    ):
        rows._raw_delete(rows.db)


def _record_design(organisation: Organisation, kind: str, *, actor: Actor,
                   reason: str) -> None:
    """An entry of `kind` for every row of the design: deleted, as it is before a
    promotion's wipe (a person's entry with their manager and dotted lines), or added, as the
    promotion copied it in, so that the design as of any moment reads back from history
    (`orgdesign.analysis.loader.load_as_of`). Two statements per table (its ids, then the
    entries), whatever its size."""
    for model, rows in (
        (Position, Position.objects.filter(organisation=organisation)),
        (Level, Level.objects.filter(organisation=organisation)),
        (Engagement, Engagement.objects.filter(pipeline__organisation=organisation)),
        (Pipeline, Pipeline.objects.filter(organisation=organisation)),
        (Membership, Membership.objects.filter(team__organisation=organisation)),
        (Team, Team.objects.filter(organisation=organisation)),
        (Person, Person.objects.filter(organisation=organisation)),
    ):
        history.record_ids(
            model, list(rows.order_by("pk").values_list("pk", flat=True)), kind,
            organisation_id=organisation.pk, actor=actor, reason=reason,
        )


def _insert(model, rows: list[dict], same: dict) -> list[int]:
    """Write `rows` of `model` (values by attribute name, `same` for every row) in bulk
    inserts; their new ids in order. (PostgreSQL copies inside the database instead,
    `_copy_design_within`.)"""
    copies = model.objects.bulk_create([model(**row, **same) for row in rows],
                                       batch_size=BATCH)
    return [copy.pk for copy in copies]


def _copy_rows(model, source: Organisation, target: Organisation, fields: Sequence[str],
               person: str, people: dict[int, int], stamp: dict) -> dict[int, int]:
    """Copy `source`'s rows of `model` (teams, pipelines) into `target`: `fields` as they are,
    the person a row names (`person`: a team's lead, a pipeline's PM) through `people`, the
    map of the people already copied. Returns the map of the rows' ids (source -> target)."""
    rows = list(
        model.objects.filter(organisation=source).order_by("id").values("id", person, *fields)
    )
    ids = _insert(model, [{**{name: row[name] for name in fields},
                           f"{person}_id": people.get(row[person])} for row in rows],
                  {"organisation_id": target.pk, **stamp})
    return {row["id"]: pk for row, pk in zip(rows, ids, strict=True)}


def _copy_design_within(source: Organisation, target: Organisation, stamp: dict,
                        progress: Progress) -> IdMap:
    """`copy_design` on PostgreSQL: each table copied by one statement inside the database
    (`teams.bulk.copy_within`), its references put through the maps of the tables before."""
    now = timezone.now()
    made = {"organisation_id": target.pk, "created_at": now, "updated_at": now, **stamp}
    org = [source.pk]
    with connection.cursor() as cursor:
        # The maps joined in are arrays of 50,000 ids at L, which PostgreSQL's estimates
        # make look costly enough to compile (JIT): 0.3 s per statement, for joins that run
        # in milliseconds. For this transaction only.
        cursor.execute("SET LOCAL jit = off")
    people = copy_within(Person, where="s.organisation_id = %s", params=org,
                         same=_stamped(Person, made), self_refs=["manager_id"])
    progress(1, COPY_STEPS)
    copy_within(Person.dotted_line_managers.through, keep_map=False,
                where="s.from_person_id IN (SELECT id FROM teams_person "
                      "WHERE organisation_id = %s)", params=org, same={},
                maps={"from_person_id": people, "to_person_id": people})
    progress(2, COPY_STEPS)
    teams = copy_within(Team, where="s.organisation_id = %s", params=org,
                        same=_stamped(Team, made), maps={"lead_id": people})
    progress(3, COPY_STEPS)
    copy_within(Membership, keep_map=False,
                where="s.team_id IN (SELECT id FROM teams_team WHERE organisation_id = %s)",
                params=org, same=_stamped(Membership, made),
                maps={"person_id": people, "team_id": teams})
    progress(4, COPY_STEPS)
    pipelines = copy_within(Pipeline, where="s.organisation_id = %s", params=org,
                            same=_stamped(Pipeline, made), maps={"pm_owner_id": people})
    progress(5, COPY_STEPS)
    copy_within(Engagement, keep_map=False,
                where="s.pipeline_id IN (SELECT id FROM pipelines_pipeline "
                      "WHERE organisation_id = %s)",
                params=org, same=_stamped(Engagement, made),
                maps={"pipeline_id": pipelines, "team_id": teams})
    progress(6, COPY_STEPS)
    copy_within(Level, keep_map=False, where="s.organisation_id = %s", params=org,
                same=_stamped(Level, made))
    positions = copy_within(Position, where="s.organisation_id = %s", params=org,
                            same=_stamped(Position, made),
                            maps={"team_id": teams, "pipeline_id": pipelines,
                                  "person_id": people})
    progress(7, COPY_STEPS)
    analyze(Person, Team, Membership, Pipeline, Engagement)
    return IdMap(people=people, teams=teams, pipelines=pipelines, positions=positions)


def _stamped(model, made: dict) -> dict:
    """`made` without the fields `model` does not have (a membership has no organisation)."""
    names = {name for field in model._meta.concrete_fields
             for name in (field.name, field.attname)}
    return {name: value for name, value in made.items() if name in names}


def copy_design(
    source: Organisation,
    target: Organisation,
    *,
    actor: Actor,
    progress: Progress = _no_progress,
) -> IdMap:
    """Copy every row of `source`'s design into the empty `target`, telling `progress` after
    each of its COPY_STEPS tables. Returns the maps of ids (source -> target).

    It reads `source` one table at a time, so it must run in one `snapshot()` (its callers
    are `snapshotted`): in statements of their own, a sync committed between two reads
    would show it a membership of a person it had not read."""
    stamp = actor.fields()
    if connection.vendor == "postgresql":
        ids = _copy_design_within(source, target, stamp, progress)
    else:
        ids = _copy_design_here(source, target, stamp, progress)
    # The software catalog goes with the design, its matches by hand put through the maps,
    # so a scenario is judged against the same catalog (none is read where there is none).
    if source.catalog_size:
        catalog_copy(source=source, target=target, teams=ids.teams, pipelines=ids.pipelines)
    return ids


def _copy_design_here(source: Organisation, target: Organisation, stamp: dict,
                      progress: Progress) -> IdMap:
    """`copy_design` elsewhere than PostgreSQL: each table read, then written in bulk."""
    rows = list(
        Person.objects.filter(organisation=source)
        .order_by("id")
        .values("id", "manager_id", *PERSON_FIELDS)
    )
    copies = Person.objects.bulk_create(
        [
            Person(organisation=target, **{f: row[f] for f in PERSON_FIELDS}, **stamp)
            for row in rows
        ],
        batch_size=BATCH,
    )
    people = {row["id"]: copy.pk for row, copy in zip(rows, copies, strict=True)}
    managed = []
    for row, copy in zip(rows, copies, strict=True):
        if row["manager_id"] is not None:
            copy.manager_id = people[row["manager_id"]]
            managed.append(copy)
    bulk_update(Person, managed, ["manager_id"])
    progress(1, COPY_STEPS)

    dotted = Person.dotted_line_managers.through
    _insert(dotted, [
        {"from_person_id": people[a], "to_person_id": people[b]}
        for a, b in dotted.objects.filter(from_person__organisation=source).values_list(
            "from_person_id", "to_person_id")
    ], {})
    progress(2, COPY_STEPS)

    teams = _copy_rows(Team, source, target, TEAM_FIELDS, "lead", people, stamp)
    progress(3, COPY_STEPS)
    _insert(Membership, [
        {"person_id": people[p], "team_id": teams[t], "allocation": a}
        for p, t, a in Membership.objects.filter(team__organisation=source).values_list(
            "person_id", "team_id", "allocation")
    ], stamp)
    progress(4, COPY_STEPS)

    pipelines = _copy_rows(Pipeline, source, target, PIPELINE_FIELDS, "pm_owner", people,
                           stamp)
    progress(5, COPY_STEPS)
    _insert(Engagement, [
        {"pipeline_id": pipelines[p], "team_id": teams[t], "role": r, "effort": e}
        for p, t, r, e in Engagement.objects.filter(pipeline__organisation=source).values_list(
            "pipeline_id", "team_id", "role", "effort")
    ], stamp)
    progress(6, COPY_STEPS)
    _insert(Level, [
        {"name": name, "annual_cost": cost}
        for name, cost in Level.objects.filter(organisation=source).values_list(
            "name", "annual_cost")
    ], {"organisation_id": target.pk, **stamp})
    seats = list(Position.objects.filter(organisation=source).order_by("id").values(
        "id", "team_id", "pipeline_id", "person_id", *POSITION_FIELDS))
    ids = _insert(Position, [
        {"team_id": teams[row["team_id"]], "pipeline_id": pipelines.get(row["pipeline_id"]),
         "person_id": people.get(row["person_id"]),
         **{name: row[name] for name in POSITION_FIELDS}}
        for row in seats
    ], {"organisation_id": target.pk, **stamp})
    positions = {row["id"]: pk for row, pk in zip(seats, ids, strict=True)}
    progress(7, COPY_STEPS)
    # A copy is a bulk load whatever its size (and one statement keeps the count fixed).
    analyze(Person, Team, Membership, Pipeline, Engagement)
    return IdMap(people=people, teams=teams, pipelines=pipelines, positions=positions)
