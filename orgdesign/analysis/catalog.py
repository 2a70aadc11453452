"""The software catalog matched to the design (Conway's check): which team each catalog group
is, which team owns each component, and which pipeline and stage each component serves.
Pure: the loader hands in the catalog's rows (`CatalogRow`) with the design.

A group is a team:
1. matched by hand on the catalog page;
2. by its annotation `orgdesign.io/team` (a team's name);
3. by name: the group's name or title and the team's name alike once case, spaces and
   punctuation are set aside (`ml-platform` is "ML Platform").

A component (or resource, or API) is owned by the team its `spec.owner` names (a group, or a
team's name); without an owner, by the owner of the last CODEOWNERS rule matching its
directory. A person as owner is no team: the component counts as unowned.

A component serves a pipeline and a stage:
1. matched by hand;
2. by its annotations `orgdesign.io/pipeline` and `orgdesign.io/stage`;
3. by its system: the system's own annotations, or a system named like a pipeline.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from pipelines.models import CatalogKind, Pipeline
from teams.models import Team

if TYPE_CHECKING:
    from orgdesign.analysis.orgdata import OrgIndex

RUNNABLE = (CatalogKind.COMPONENT, CatalogKind.RESOURCE, CatalogKind.API)
BY_HAND, ANNOTATION, BY_NAME, BY_SYSTEM, CODEOWNERS = (
    "by hand", "by annotation", "by name", "by its system", "by CODEOWNERS")


@dataclass(slots=True)
class CatalogRow:
    """An entity of the catalog as the analyses read it (`pipelines.models.CatalogEntity`)."""

    id: int
    kind: str
    ref: str
    name: str
    owner: str = ""
    system: str = ""
    team_hint: str = ""
    pipeline_hint: str = ""
    stage_hint: str = ""
    path: str = ""
    position: int = 0
    team_id: int | None = None
    pipeline_id: int | None = None
    stage: str = ""
    source: str = ""


CATALOG_COLUMNS = ("id", "kind", "ref", "name", "owner", "system", "team_hint",
                   "pipeline_hint", "stage_hint", "path", "position", "team_id",
                   "pipeline_id", "stage", "source")


@lru_cache(maxsize=100_000)
def alike(text: str) -> str:
    """A name as names are compared: lower case, letters and digits only. Kept: a catalog of
    20,000 components names a few hundred owners and pipelines, over and over."""
    return NOT_ALIKE.sub("", text.casefold())


NOT_ALIKE = re.compile(r"[^0-9a-z]+")


def ref_name(ref: str) -> str:
    """`group:default/ml-platform` -> `ml-platform`."""
    return ref.rpartition("/")[2] if "/" in ref else ref.rpartition(":")[2]


def codeowners_match(pattern: str, path: str) -> bool:
    """Whether a CODEOWNERS pattern covers a directory (`services/feature-store/`), as git
    matches it: a pattern with a slash at its start or middle is anchored at the root, one
    without matches at any depth; a pattern ending in a slash names a directory and all under
    it; `*` stays within a name, `**` crosses directories. A pattern covers a directory when
    it matches the directory or one of the directories above it."""
    pattern = pattern.strip()
    if not pattern or not path:
        return False
    anchored = "/" in pattern.rstrip("/")
    # A directory pattern (`docs/`) and a plain one (`docs`) cover a directory alike.
    pattern = pattern.strip("/")
    if pattern in ("*", "**"):
        return True
    parts = path.strip("/").split("/")
    # The component's directory and those above it; unanchored, also their tails.
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)] if anchored else [
        "/".join(parts[start:n]) for n in range(1, len(parts) + 1) for start in range(n)]
    if pattern.endswith("/**"):  # everything under a directory: the directory too
        pattern = pattern[:-3]
    return any(_glob(pattern, candidate) for candidate in candidates)


def _glob(pattern: str, path: str) -> bool:
    if "**" not in pattern:
        # `*` must not cross a slash: compare part by part.
        left, right = pattern.split("/"), path.split("/")
        return len(left) == len(right) and all(
            fnmatchcase(name, glob) for name, glob in zip(right, left, strict=True))
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*") \
        .replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
    return re.fullmatch(regex, path) is not None


@dataclass(slots=True)
class Placed:
    """A component as matched: its owner team (how), its pipeline and stage (how)."""

    row: CatalogRow
    owner_ref: str  # as the catalog or CODEOWNERS says, "" when nobody
    owner_how: str
    team: Team | None
    pipeline: Pipeline | None
    pipeline_how: str
    stage: str


class CatalogIndex:
    """The catalog of one design, matched."""

    def __init__(self, index: OrgIndex):
        self.index = index
        rows = index.data.catalog
        self.rows = rows
        self.groups = [row for row in rows if row.kind == CatalogKind.GROUP]
        self.systems = {row.ref: row for row in rows if row.kind == CatalogKind.SYSTEM}
        self.rules = sorted((row for row in rows if row.kind == CatalogKind.CODEOWNERS),
                            key=lambda row: (row.source, row.position))
        self.runnable = [row for row in rows if row.kind in RUNNABLE]

    @property
    def present(self) -> bool:
        return bool(self.rows)

    def matches(self) -> tuple:
        """What the catalog matched, by id: two designs whose catalogs match alike are equal
        (the tests compare the facts of a design changed in memory with a fresh one's)."""
        return (
            tuple(sorted((ref, team.id if team else None, how)
                         for ref, (team, how) in self.group_teams.items())),
            tuple((p.row.id, p.owner_ref, p.owner_how, p.team.id if p.team else None,
                   p.pipeline.id if p.pipeline else None, p.pipeline_how, p.stage)
                  for p in self.components),
        )

    def __eq__(self, other) -> bool:
        return isinstance(other, CatalogIndex) and self.matches() == other.matches()

    __hash__ = None

    @cached_property
    def _teams_by_name(self) -> dict[str, Team]:
        found: dict[str, Team] = {}
        for team in sorted(self.index.data.teams, key=lambda team: team.id):
            found.setdefault(alike(team.name), team)
        return found

    @cached_property
    def _pipelines_by_name(self) -> dict[str, Pipeline]:
        found: dict[str, Pipeline] = {}
        for pipeline in sorted(self.index.data.pipelines, key=lambda pipeline: pipeline.id):
            found.setdefault(alike(pipeline.name), pipeline)
        return found

    @cached_property
    def group_teams(self) -> dict[str, tuple[Team | None, str]]:
        """Each group's team and how it was matched, by the group's reference."""
        teams = self.index.teams_by_id
        matched = {}
        for group in self.groups:
            if group.team_id in teams:
                matched[group.ref] = (teams[group.team_id], BY_HAND)
            elif group.team_hint and alike(group.team_hint) in self._teams_by_name:
                matched[group.ref] = (self._teams_by_name[alike(group.team_hint)], ANNOTATION)
            else:
                team = (self._teams_by_name.get(alike(ref_name(group.ref)))
                        or self._teams_by_name.get(alike(group.name)))
                matched[group.ref] = (team, BY_NAME if team else "")
        return matched

    def team_of(self, owner: str) -> tuple[Team | None, str]:
        """The team an owner reference names: its group's, or a team named alike."""
        found = self._owners.get(owner)
        if found is None:
            found = self._owners[owner] = self._team_of(owner)
        return found

    @cached_property
    def _owners(self) -> dict[str, tuple[Team | None, str]]:
        return {}

    def _team_of(self, owner: str) -> tuple[Team | None, str]:
        if not owner or not owner.startswith("group:"):
            return None, ""
        if owner in self.group_teams:
            return self.group_teams[owner]
        team = self._teams_by_name.get(alike(ref_name(owner)))
        return team, (BY_NAME if team else "")

    def codeowner_of(self, path: str) -> str:
        found = ""
        for rule in self.rules:  # the last match wins
            if codeowners_match(rule.path, path):
                found = rule.owner
        return found

    def _pipeline_of(self, row: CatalogRow) -> tuple[Pipeline | None, str, str]:
        pipelines = self.index.pipelines_by_id
        by_name = self._pipelines_by_name
        system = self.systems.get(row.system)
        stage = row.stage or row.stage_hint or (system.stage_hint if system else "")
        if row.pipeline_id in pipelines:
            return pipelines[row.pipeline_id], BY_HAND, stage
        if row.pipeline_hint and alike(row.pipeline_hint) in by_name:
            return by_name[alike(row.pipeline_hint)], ANNOTATION, stage
        if system is not None:
            if system.pipeline_id in pipelines:
                return pipelines[system.pipeline_id], BY_SYSTEM, system.stage or stage
            hint = system.pipeline_hint or system.name
            found = by_name.get(alike(hint)) or by_name.get(alike(ref_name(system.ref)))
            if found is not None:
                return found, BY_SYSTEM, stage
        elif row.system:
            found = by_name.get(alike(ref_name(row.system)))
            if found is not None:
                return found, BY_SYSTEM, stage
        return None, "", stage

    @cached_property
    def components(self) -> list[Placed]:
        placed = []
        for row in self.runnable:
            owner, how = row.owner, ""
            if not owner and row.path:
                owner = self.codeowner_of(row.path)
                how = CODEOWNERS if owner else ""
            team, team_how = self.team_of(owner)
            pipeline, pipeline_how, stage = self._pipeline_of(row)
            placed.append(Placed(row, owner, how or team_how, team, pipeline, pipeline_how,
                                 stage))
        return placed

    @cached_property
    def by_pipeline(self) -> dict[int, list[Placed]]:
        found: dict[int, list[Placed]] = defaultdict(list)
        for placed in self.components:
            if placed.pipeline is not None:
                found[placed.pipeline.id].append(placed)
        return found

    @cached_property
    def by_team(self) -> dict[int, list[Placed]]:
        found: dict[int, list[Placed]] = defaultdict(list)
        for placed in self.components:
            if placed.team is not None:
                found[placed.team.id].append(placed)
        return found

    @cached_property
    def by_cell(self) -> dict[tuple[int, int], list[Placed]]:
        """The components of each (pipeline, team): the pipeline's, owned by the team."""
        found: dict[tuple[int, int], list[Placed]] = defaultdict(list)
        for placed in self.components:
            if placed.pipeline is not None and placed.team is not None:
                found[(placed.pipeline.id, placed.team.id)].append(placed)
        return found

    @cached_property
    def cell_counts(self) -> dict[tuple[int, int], int]:
        """How many components back each (pipeline, team): the matrix's counts, made once
        per design rather than once per page."""
        return {cell: len(placed) for cell, placed in self.by_cell.items()}

    @property
    def unmatched_groups(self) -> list[CatalogRow]:
        return [group for group in self.groups if self.group_teams[group.ref][0] is None]

    @property
    def unplaced(self) -> list[Placed]:
        """Components that serve no pipeline of the design."""
        return [placed for placed in self.components if placed.pipeline is None]
