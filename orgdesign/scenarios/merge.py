"""Merging a scenario into its live origin: its changes since the copy (all, or a chosen
subset), applied to the live design as it is now by a three-way merge
(`orgdesign.analysis.merge`), keeping every live change the scenario did not touch. Refused
while a chosen change conflicts with the live design unresolved, or while the origin needs
an approval the scenario does not have (`review.review_state`).

One transaction: the changes written through the services (`apply.write_changes`), one
history entry on the origin naming the scenario and its approvers, a `merge` step in the
scenario's review. What it wrote is kept (`ScenarioMerge`: each object before and after), so
that its undo, a scenario of its own, can be made when asked for
(orgdesign/scenarios/undo.py) and merged back like any other, even after later live
changes; copying the whole design on every merge would cost more than the merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orgdesign.analysis.changeset import TABLES, DesignChange, DesignRows, changes_between
from orgdesign.analysis.merge import MergePlan, merged, plan_merge
from orgdesign.scenarios.apply import Writer, write_changes, written_key
from orgdesign.scenarios.base import MAPPED, kept_changes, live_rows, read_rows, rekey
from orgdesign.scenarios.review import review_state
from teams import history
from teams.actor import Actor
from teams.models import (
    Organisation,
    ReviewAction,
    ScenarioBase,
    ScenarioMerge,
    ScenarioReview,
)

NO_BASE = ("This scenario has no base to count its changes from: it was copied before "
           "changes were kept, or its design was replaced by a promotion since. Copy the "
           "design again.")


class NoBase(ValidationError):
    pass


@dataclass
class Merge:
    plan: MergePlan
    live: DesignRows
    scenario: DesignRows
    base: DesignRows

    def rebase(self) -> MergePlan:
        """The other way round: the live changes coming into the scenario."""
        return plan_merge(self.base, self.live, self.scenario)


def merge_plan(scenario: Organisation) -> Merge:
    """The scenario's changes and their conflicts with the live design as it is now."""
    origin = ScenarioBase.objects.filter(scenario=scenario).values_list(
        "origin_id", flat=True).first()
    kept = kept_changes(scenario)
    if kept is None or origin != scenario.scenario_of_id:
        raise NoBase(NO_BASE, code="no_base")
    live = live_rows(scenario.scenario_of)
    return Merge(plan_merge(kept.base, kept.rows, live), live, kept.rows, kept.base)


def check_merge(scenario: Organisation, merge: Merge, keys: list[str] | None,
                resolutions: dict[str, str]) -> None:
    """Refuse (ValidationError, code `conflicts`, `approval` or `invalid`) what cannot merge."""
    try:
        chosen = merge.plan.chosen(keys)
    except KeyError as unknown:
        raise ValidationError({"changes": [f"No such change: {unknown.args[0]}."]},
                              code="invalid") from None
    if not chosen:
        raise ValidationError({"changes": ["There is nothing to merge."]}, code="invalid")
    bad = {key: value for key, value in resolutions.items()
           if key not in merge.plan.conflicts or value not in ("live", "scenario")}
    if bad:
        raise ValidationError({"resolutions": [
            f"{key}: resolve a conflict the merge has, with 'live' or 'scenario'."
            for key in list(bad)[:10]]}, code="invalid")
    unresolved = merge.plan.unresolved(keys, resolutions)
    if unresolved:
        raise ValidationError(
            {"conflicts": [f"{c.key}: live {c.live_words!r}, scenario {c.words!r}"
                           for c in unresolved]}, code="conflicts")
    state = review_state(scenario)
    if not state.may_merge:
        raise ValidationError(
            "The scenario needs an admin's approval before it is merged"
            + (" (the last one was withdrawn when the scenario changed)."
               if state.withdrawn else "."), code="approval")


def scenario_merge(*, scenario: Organisation, keys: list[str] | None = None,
                   resolutions: dict[str, str] | None = None, user=None,
                   actor: Actor) -> dict:
    """Merge the scenario (see the module's doc). Returns what the job answers."""
    resolutions = resolutions or {}
    origin = scenario.scenario_of
    with transaction.atomic():
        # One merge or sync of the origin at a time: the plan is made against the design
        # as it will be written.
        Organisation.objects.select_for_update().filter(pk=origin.pk).first()
        merge = merge_plan(scenario)
        check_merge(scenario, merge, keys, resolutions)
        approvers = review_state(scenario).approved_by
        result = merged(merge.live, merge.scenario, merge.plan, keys, resolutions)
        writes = changes_between(merge.live, result)
        made = write_changes(organisation=origin, changes=writes, target=result,
                             actor=actor)
        taken = len(merge.plan.chosen(keys))
        record = _keep_merge(scenario, origin, merge.live, writes, made, taken, user, actor)
        reason = (f"Merged {taken} change{'s' if taken != 1 else ''} of the scenario "
                  f"{scenario.name} ({scenario.slug})"
                  + (f", approved by {', '.join(approvers)}" if approvers else "")
                  + f"; undo it as merge {record.pk} on the scenarios page")
        record.reason = reason
        record.save(update_fields=["reason"])
        history.record([origin], history.CHANGED, organisation_id=origin.pk, actor=actor,
                       reason=reason)
        ScenarioReview.objects.create(
            scenario=scenario, action=ReviewAction.MERGE, text=reason,
            user=user if getattr(user, "pk", None) else None, token=actor.token,
            version=Organisation.objects.values_list("design_version", flat=True).get(
                pk=scenario.pk))
    return {"merged": scenario.slug, "changes": taken, "written": len(writes),
            "merge": record.pk, "approved_by": approvers}


def _keep_merge(scenario: Organisation, origin: Organisation, before: DesignRows,
                writes: list[DesignChange], made: dict, taken: int, user,
                actor: Actor) -> ScenarioMerge:
    """Keep what the merge wrote, each object as it was before and as it is after, so that
    its undo can be made later (orgdesign/scenarios/undo.py) instead of copying the whole
    design on every merge. The objects after are read back as written (a person removed
    is deactivated, not gone)."""
    touched: dict[str, dict[str, str]] = {}
    for change in writes:
        table = TABLES[change.type]
        touched.setdefault(table, {})[written_key(change.type, change.id, made)] = change.id
    after = read_rows(origin, {table: set(keys) for table, keys in touched.items()})
    return ScenarioMerge.objects.create(
        organisation=origin, scenario=scenario, scenario_name=scenario.name, changes=taken,
        user=user if getattr(user, "pk", None) else None, token=actor.token,
        before={table: {key: getattr(before, table).get(old)
                        for key, old in keys.items()} for table, keys in touched.items()},
        after={table: {key: getattr(after, table).get(key) for key in keys}
               for table, keys in touched.items()},
    )


def to_scenario_ids(rows: DesignRows, ids: dict[str, dict]) -> DesignRows:
    """Rows in the origin's ids put in the scenario's: a copied object by the copy's map,
    one the scenario added (`new<id>`) by its own id, one only the origin has (added live
    since) as `new<origin id>`, to be made."""
    forward = {table: {str(a): str(b) for a, b in ids.get(table, {}).items()}
               for table in MAPPED}

    def key(table: str, value) -> str | None:
        if value is None:
            return None
        value = str(value)
        if value.startswith("new"):
            return value.removeprefix("new")
        return forward[table].get(value, f"new{value}")

    return rekey(rows, key)


def rebase_plan(scenario: Organisation) -> MergePlan:
    """The live design's changes since the copy, and their conflicts with the scenario's:
    a rebase takes them into the scenario (a conflict resolved `live` takes the live value,
    `scenario` keeps the scenario's)."""
    return merge_plan(scenario).rebase()


def scenario_rebase(*, scenario: Organisation, resolutions: dict[str, str] | None = None,
                    actor: Actor) -> dict:
    """Take the live changes made since the copy into the scenario, so that it stays current
    during a long review; its base becomes the live design as it is now. Refused while a
    conflict is unresolved (ValidationError, `conflicts`)."""
    resolutions = resolutions or {}
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=scenario.pk).first()
        base = ScenarioBase.objects.select_for_update().get(scenario=scenario)
        merge = merge_plan(scenario)
        plan = plan_merge(DesignRows.from_dict(base.data), merge.live, merge.scenario)
        # In a rebase the live design's changes come in: "live" takes them, "scenario"
        # keeps the scenario's value, the reverse of a merge's sides.
        flipped = {key: ("scenario" if value == "live" else "live")
                   for key, value in resolutions.items() if value in ("live", "scenario")}
        bad = [key for key in resolutions if key not in plan.conflicts]
        if bad:
            raise ValidationError({"resolutions": [f"{key}: no such conflict."
                                                   for key in bad[:10]]})
        unresolved = plan.unresolved(None, flipped)
        if unresolved:
            raise ValidationError(
                {"conflicts": [f"{c.key}: live {c.words!r}, scenario {c.live_words!r}"
                               for c in unresolved]}, code="conflicts")
        result = merged(merge.scenario, merge.live, plan, None, flipped)
        now = to_scenario_ids(merge.scenario, base.ids)
        target = to_scenario_ids(result, base.ids)
        writes = changes_between(now, target)
        writer = Writer(scenario, target, actor)
        writer.write(writes)
        # The new base: the live design now, mapped to the scenario's objects (those made
        # by this rebase included).
        made = {"people": writer.made["person"], "teams": writer.made["team"],
                "pipelines": writer.made["pipeline"], "positions": writer.made["position"]}
        ids = {table: dict(base.ids.get(table, {})) for table in MAPPED}
        for table, created in made.items():
            for key, pk in created.items():
                ids[table][key.removeprefix("new")] = pk
        base.data, base.ids, base.taken_at = merge.live.as_dict(), ids, timezone.now()
        base.save(update_fields=["data", "ids", "taken_at"])
        history.record([scenario], history.CHANGED, organisation_id=scenario.pk, actor=actor,
                       reason=f"Rebased on {scenario.scenario_of.name}: took in "
                              f"{len(plan.changes)} live change"
                              f"{'s' if len(plan.changes) != 1 else ''}")
    return {"rebased": scenario.slug, "taken": len(plan.changes), "written": len(writes)}
