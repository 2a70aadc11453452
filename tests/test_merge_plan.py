"""The three-way merge on plain rows (issue 30, point 3): every kind of change, each kind of
conflict, removals, a subset, and the live changes kept."""

import copy

import pytest

from orgdesign.analysis.changeset import changes_between
from orgdesign.analysis.merge import merged, plan_merge
from tests.design_rows import base_rows, person


def edit(rows, table, key, **fields):
    getattr(rows, table)[key] = {**getattr(rows, table)[key], **fields}
    return rows


def test_live_changes_the_scenario_did_not_touch_are_kept():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    edit(scenario, "people", "3", manager="1")
    edit(live, "people", "2", title="Director")
    live.people["4"] = person("Mei Chen", "2")
    plan = plan_merge(base, scenario, live)
    assert [c.key for c in plan.changes] == ["person:3:manager"] and not plan.conflicts
    result = merged(live, scenario, plan)
    assert result.people["3"]["manager"] == "1"
    assert result.people["2"]["title"] == "Director"  # the live change, kept
    assert "4" in result.people  # the live addition, kept


def test_a_merge_leaves_the_designs_it_reads_as_they_were():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    edit(scenario, "people", "3", manager="1", title="Lead")
    del scenario.teams["10"]
    before = copy.deepcopy(live.as_dict())
    result = merged(live, scenario, plan_merge(base, scenario, live))
    assert live.as_dict() == before
    assert result.people["3"]["title"] == "Lead" and "10" not in result.teams


def test_every_kind_of_change_merges():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    scenario.people["new9"] = person("New Hire", "2")
    scenario.memberships["new9-10"] = {"allocation": 100}
    del scenario.engagements["20-10"]
    edit(scenario, "teams", "10", kpi="uptime")
    edit(scenario, "pipelines", "20", pm_owner="1")
    del scenario.people["3"]
    del scenario.memberships["3-10"]
    plan = plan_merge(base, scenario, live)
    assert not plan.conflicts
    result = merged(live, scenario, plan)
    assert result.as_dict() == scenario.as_dict()


def test_the_same_change_on_both_sides_is_no_conflict():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    edit(scenario, "people", "3", manager="1")
    edit(live, "people", "3", manager="1")
    assert not plan_merge(base, scenario, live).conflicts


def test_the_same_field_changed_differently_conflicts_with_both_values():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    edit(scenario, "people", "3", manager="1")
    edit(live, "people", "3", manager=None)
    plan = plan_merge(base, scenario, live)
    conflict = plan.conflicts["person:3:manager"]
    assert (conflict.live, conflict.scenario) == (None, "1")
    assert conflict.live_words == "Dana Kim: manager Priya Shah → nobody"
    with pytest.raises(ValueError, match="1 conflicts"):
        merged(live, scenario, plan)
    kept = merged(live, scenario, plan, resolutions={"person:3:manager": "live"})
    assert kept.people["3"]["manager"] is None
    taken = merged(live, scenario, plan, resolutions={"person:3:manager": "scenario"})
    assert taken.people["3"]["manager"] == "1"


def test_a_change_to_what_the_live_design_removed_conflicts():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    edit(scenario, "people", "3", title="Staff engineer")
    del live.people["3"]
    del live.memberships["3-10"]
    plan = plan_merge(base, scenario, live)
    assert plan.conflicts["person:3:title"].live is None
    # Taking the scenario's side brings the person back whole.
    result = merged(live, scenario, plan, resolutions={"person:3:title": "scenario"})
    assert result.people["3"]["title"] == "Staff engineer"


def test_a_removal_of_what_the_live_design_changed_conflicts():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    del scenario.engagements["20-10"]
    edit(live, "engagements", "20-10", effort=50)
    conflict = plan_merge(base, scenario, live).conflicts["engagement:20-10"]
    assert (conflict.live, conflict.scenario) == (50, None)


def test_pointing_at_what_the_live_design_removed_conflicts():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    edit(scenario, "people", "3", manager="1")
    del live.people["1"]
    edit(live, "people", "2", manager=None)
    plan = plan_merge(base, scenario, live)
    assert "person:3:manager" in plan.conflicts
    assert plan.conflicts["person:3:manager"].live_words == "Amara Okafor (person) removed"


def test_a_subset_takes_only_the_chosen_changes():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    edit(scenario, "people", "3", manager="1", title="Staff engineer")
    edit(live, "people", "3", manager=None)  # a conflict, but not chosen
    plan = plan_merge(base, scenario, live)
    result = merged(live, scenario, plan, keys=["person:3:title"])
    assert result.people["3"]["title"] == "Staff engineer"
    assert result.people["3"]["manager"] is None
    with pytest.raises(KeyError):
        plan.chosen(["person:99:title"])


def test_merging_the_reverse_undoes_a_merge_after_later_live_changes():
    base, scenario, live = base_rows(), base_rows(), base_rows()
    edit(scenario, "people", "3", manager="1")
    after = merged(live, scenario, plan_merge(base, scenario, live))
    # The reverse: the merge's changes undone, with the merged design as its base.
    reverse = edit(after.from_dict(after.as_dict()), "people", "3", manager="2")
    later = edit(after.from_dict(after.as_dict()), "people", "2", title="Director")
    undone = merged(later, reverse, plan_merge(after, reverse, later))
    assert undone.people["3"]["manager"] == "2"
    assert undone.people["2"]["title"] == "Director"
    assert changes_between(base, undone)[0].key == "person:2:title"
