"""The software catalog's writes: an import of Backstage entity files and CODEOWNERS files
(`pipelines.catalog_files` reads them), all or nothing, each source replacing what it brought
before; and a match set by hand on the catalog page. The design's version changes with
each (the catalog findings read the catalog), and `Organisation.catalog_size` says whether
the loader needs to read it at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from pipelines.catalog_files import MOST, SOURCE_MAX, Parsed, parse_file, parse_json
from pipelines.models import CatalogEntity, CatalogKind, Pipeline, Stage
from teams.bulk import copy_within
from teams.design_version import design_changed
from teams.models import Organisation, Team

BATCH = 2000


@dataclass
class CatalogPlan:
    """What an import would do: the rows it read, by source, its problems (any refuses the
    whole import) and notes, and, by source, how many entities it brings, replaces and
    removes."""

    rows: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows or self.sources)

    def as_dict(self) -> dict:
        return {"sources": self.sources, "kinds": self.kinds, "problems": self.problems,
                "notes": self.notes}


def _source_name(name: str) -> str:
    name = name.strip().replace("\\", "/")
    return name[-SOURCE_MAX:] if name else "upload"


def catalog_plan(organisation: Organisation, parsed: list[Parsed]) -> CatalogPlan:
    plan = CatalogPlan()
    for one in parsed:
        plan.rows.extend(one.rows)
        plan.problems.extend(one.problems)
        plan.notes.extend(one.notes)
    refs = Counter((row["source"], row["ref"]) for row in plan.rows)
    for (source, ref), count in sorted(refs.items()):
        if count > 1:  # two files of the same name in one upload
            plan.problems.append(f"{source}: {ref} comes {count} times; files of the same "
                                 "name are one source: rename one.")
    if len(plan.rows) > MOST:
        plan.problems.append(f"{len(plan.rows):,} entities: one import takes at most "
                             f"{MOST:,}.")
    brought = Counter(row["source"] for row in plan.rows)
    sources = {source for one in parsed for source in {row["source"] for row in one.rows}}
    held = Counter(CatalogEntity.objects.filter(
        organisation=organisation, source__in=sources).values_list("source", flat=True))
    for source in sorted(sources):
        plan.sources[source] = {"brought": brought[source], "removed": held[source]}
    plan.kinds = dict(sorted(Counter(str(row["kind"]) for row in plan.rows).items()))
    return plan


def read_files(organisation: Organisation, files: list[tuple[str, bytes]]) -> CatalogPlan:
    """The plan of importing `files` (name, bytes), each its own source: nothing written."""
    if not files:
        return CatalogPlan(problems=["Choose at least one file: catalog-info.yaml or "
                                     "CODEOWNERS."])
    return catalog_plan(organisation,
                        [parse_file(_source_name(name), data) for name, data in files])


def read_pushed(organisation: Organisation, source: str, entities) -> CatalogPlan:
    """The plan of importing entities pushed as JSON (parsed: the catalog API's list, or its
    `{"items": [...]}`) as `source`."""
    plan = catalog_plan(organisation, [parse_json(_source_name(source), entities)])
    plan.sources.setdefault(_source_name(source), {"brought": 0, "removed": CatalogEntity
                            .objects.filter(organisation=organisation,
                                            source=_source_name(source)).count()})
    return plan


@transaction.atomic
def catalog_apply(organisation: Organisation, plan: CatalogPlan) -> dict[str, int]:
    """Write an import: every source of the plan replaced by what it brings now, or nothing
    when it has a problem (ValidationError). A match set by hand on an entity that the same
    source brings again is kept."""
    if plan.problems:
        raise ValidationError(plan.problems)
    # Two imports at once wait for each other (the caller's instance gets the new size).
    Organisation.objects.select_for_update().filter(pk=organisation.pk).exists()
    sources = list(plan.sources)
    old = CatalogEntity.objects.filter(organisation=organisation, source__in=sources)
    by_hand = {
        (source, ref): (team, pipeline, stage)
        for source, ref, team, pipeline, stage in old.exclude(
            team__isnull=True, pipeline__isnull=True, stage="",
        ).values_list("source", "ref", "team_id", "pipeline_id", "stage")
    }
    removed = old.count()
    old.delete()
    entities = []
    for row in plan.rows:
        team, pipeline, stage = by_hand.get((row["source"], row["ref"]), (None, None, ""))
        entities.append(CatalogEntity(organisation=organisation, team_id=team,
                                      pipeline_id=pipeline, stage=stage, **row))
    CatalogEntity.objects.bulk_create(entities, batch_size=BATCH)
    _count(organisation)
    return {"brought": len(entities), "removed": removed, "kept_by_hand": sum(
        1 for row in plan.rows if (row["source"], row["ref"]) in by_hand)}


def _count(organisation: Organisation) -> None:
    size = CatalogEntity.objects.filter(organisation=organisation).count()
    Organisation.objects.filter(pk=organisation.pk).update(catalog_size=size)
    organisation.catalog_size = size
    design_changed(organisation.pk)


@transaction.atomic
def catalog_source_remove(*, organisation: Organisation, source: str) -> int:
    """Forget what one source brought."""
    removed, _ = CatalogEntity.objects.filter(organisation=organisation,
                                              source=source).delete()
    _count(organisation)
    return removed


@transaction.atomic
def catalog_match(*, entity: CatalogEntity, team: Team | None = None,
                  pipeline: Pipeline | None = None, stage: str = "") -> CatalogEntity:
    """Match an entity by hand: a group to a team, a component (or a system) to a pipeline
    and stage. None and "" put the match back to names and annotations."""
    if team is not None and (entity.kind != CatalogKind.GROUP
                             or team.organisation_id != entity.organisation_id):
        raise ValidationError({"team": "Only a group is matched to a team, of the same "
                                       "organisation."})
    if entity.kind == CatalogKind.GROUP and (pipeline is not None or stage):
        raise ValidationError({"pipeline": "A group is matched to a team, not a pipeline."})
    if pipeline is not None and pipeline.organisation_id != entity.organisation_id:
        raise ValidationError({"pipeline": "That pipeline belongs to another organisation."})
    if stage and stage not in Stage.values:
        raise ValidationError({"stage": f"{stage!r} is not a stage."})
    entity.team, entity.pipeline, entity.stage = team, pipeline, stage
    entity.save(update_fields=["team", "pipeline", "stage"])
    design_changed(entity.organisation_id)
    return entity


def catalog_copy(*, source: Organisation, target: Organisation, teams: dict[int, int],
                 pipelines: dict[int, int]) -> None:
    """Copy `source`'s catalog into `target` (a scenario's copy, a promotion), the teams and
    pipelines matched by hand put through the maps of the copy: one statement inside
    PostgreSQL (`teams.bulk.copy_within`, like the design's tables), in bulk elsewhere."""
    if connection.vendor == "postgresql":
        copy_within(CatalogEntity, where="s.organisation_id = %s", params=[source.pk],
                    same={"organisation_id": target.pk, "imported_at": timezone.now()},
                    maps={"team_id": teams, "pipeline_id": pipelines}, keep_map=False)
        Organisation.objects.filter(pk=target.pk).update(catalog_size=source.catalog_size)
        target.catalog_size = source.catalog_size
        return
    fields = [field.attname for field in CatalogEntity._meta.concrete_fields
              if field.attname not in ("id", "organisation_id", "imported_at")]
    copies = []
    for row in CatalogEntity.objects.filter(organisation=source).values(*fields):
        row["team_id"] = teams.get(row["team_id"]) if row["team_id"] else None
        row["pipeline_id"] = pipelines.get(row["pipeline_id"]) if row["pipeline_id"] else None
        copies.append(CatalogEntity(organisation=target, **row))
    CatalogEntity.objects.bulk_create(copies, batch_size=BATCH)
    Organisation.objects.filter(pk=target.pk).update(catalog_size=len(copies))
    target.catalog_size = len(copies)
