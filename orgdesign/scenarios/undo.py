"""A merge's undo, made when asked for: a scenario of the origin that holds the live design
as it is now with every object the merge wrote put back as it was before the merge, and
whose base is the live design with those objects as the merge left them
(`ScenarioMerge.before` and `.after`). Its changes are then exactly the merge's, reversed,
and it is reviewed and merged like any other scenario: a field the live design changed
again since the merge is a conflict to resolve, everything else the live design did since
is kept.

Made this way rather than as a copy at every merge: a copy of a large design takes longer
than the merge itself, and most merges are never undone.
"""

from __future__ import annotations

from orgdesign.analysis.changeset import changes_between
from orgdesign.analysis.merge import overlaid
from orgdesign.scenarios.apply import Writer
from orgdesign.scenarios.base import MAPPED, read_design
from orgdesign.scenarios.merge import to_scenario_ids
from orgdesign.scenarios.services import Progress, _no_progress, scenario_copy, scenario_name
from orgdesign.scenarios.snapshot import snapshotted
from teams.actor import SYSTEM, Actor
from teams.models import Organisation, ScenarioBase, ScenarioMerge


def undo_name(merge: ScenarioMerge) -> str:
    return scenario_name(f"Undo {merge.scenario_name}")


@snapshotted
def undo_create(*, merge: ScenarioMerge, creator=None, actor: Actor = SYSTEM,
                progress: Progress = _no_progress) -> Organisation:
    """The merge's undo scenario (see the module's doc), in one snapshot of the origin."""
    origin = merge.organisation
    scenario, copied = scenario_copy(
        origin=origin, name=undo_name(merge), creator=creator, actor=actor,
        progress=progress, with_base=False,
        reason=f"the undo of merge {merge.pk} ({merge.scenario_name}, "
               f"{merge.merged_at:%Y-%m-%d %H:%M})")
    live = read_design(origin)  # the same snapshot the copy read
    base = overlaid(live, merge.after)
    undone = overlaid(live, merge.before)
    ids = {"people": copied.people, "teams": copied.teams, "pipelines": copied.pipelines,
           "positions": copied.positions}
    ids = {table: {str(a): b for a, b in ids[table].items()} for table in MAPPED}
    # The copy holds the live design; written to hold it undone. An object the live design
    # no longer has (removed by the merge, or since) is made again.
    now = to_scenario_ids(live, ids)
    target = to_scenario_ids(undone, ids)
    writer = Writer(scenario, target, actor)
    writer.write(changes_between(now, target))
    for table, kind in (("people", "person"), ("teams", "team"), ("pipelines", "pipeline"),
                        ("positions", "position")):
        for key, pk in writer.made[kind].items():
            ids[table][key.removeprefix("new")] = pk
    # Objects the base does not have are the undo's own: the merge removed them, the undo
    # brings them back as new objects.
    ids = {table: {key: pk for key, pk in ids[table].items() if key in getattr(base, table)}
           for table in MAPPED}
    ScenarioBase.objects.create(scenario=scenario, origin=origin, data=base.as_dict(),
                                ids=ids)
    return scenario
