"""Solid-line reporting chains (orgdesign/analysis/reporting.py): pure functions over
{person: manager}."""

from orgdesign.analysis.reporting import (
    chain_of,
    children_of,
    cycle_if_manager_set,
    roots_by_size,
    steps_below,
)

# 1 is the root; 2 and 3 report to 1; 4 reports to 2; 5 reports to 4. 6 is alone.
TREE = {1: None, 2: 1, 3: 1, 4: 2, 5: 4, 6: None}


# chain_of ----------------------------------------------------------------------------------


def test_the_chain_goes_from_the_person_up_to_the_root():
    assert chain_of(TREE, 5) == [5, 4, 2, 1]


def test_the_chain_of_a_root_is_the_root_alone():
    assert chain_of(TREE, 1) == [1]


def test_the_chain_of_someone_unknown_is_that_id_alone():
    assert chain_of(TREE, 99) == [99]


def test_the_chain_stops_at_a_manager_who_is_not_in_the_mapping():
    assert chain_of({1: 42}, 1) == [1, 42]


def test_the_chain_stops_before_repeating_anyone_in_a_corrupt_loop():
    assert chain_of({1: 2, 2: 3, 3: 1}, 1) == [1, 2, 3]


def test_the_chain_of_someone_below_a_loop_ends_at_the_loop():
    assert chain_of({1: 2, 2: 3, 3: 2}, 1) == [1, 2, 3]


# cycle_if_manager_set ------------------------------------------------------------------------


def test_clearing_a_manager_never_closes_a_loop():
    assert cycle_if_manager_set(TREE, 2, None) is None


def test_being_ones_own_manager_is_a_loop_of_one():
    assert cycle_if_manager_set(TREE, 2, 2) == [2, 2]


def test_a_manager_from_below_closes_a_loop_named_person_by_person():
    # 2 -> 5 -> 4 -> 2: 5 reports to 4, who reports to 2.
    assert cycle_if_manager_set(TREE, 2, 5) == [2, 5, 4, 2]


def test_a_direct_report_as_manager_closes_a_loop_of_two():
    assert cycle_if_manager_set(TREE, 2, 4) == [2, 4, 2]


def test_a_manager_from_another_branch_closes_no_loop():
    assert cycle_if_manager_set(TREE, 4, 3) is None


def test_a_manager_from_another_tree_closes_no_loop():
    assert cycle_if_manager_set(TREE, 1, 6) is None


def test_moving_someone_under_their_current_manager_closes_no_loop():
    assert cycle_if_manager_set(TREE, 5, 4) is None


def test_the_persons_current_manager_does_not_matter_only_the_new_one():
    # 5 currently reports to 4; moving 1 under 5 would loop through 5's chain back to 1.
    assert cycle_if_manager_set(TREE, 1, 5) == [1, 5, 4, 2, 1]


def test_an_existing_loop_higher_up_that_misses_the_person_is_not_reported():
    assert cycle_if_manager_set({1: None, 2: 3, 3: 2}, 1, 2) is None


def test_a_manager_unknown_to_the_mapping_closes_no_loop():
    assert cycle_if_manager_set(TREE, 2, 99) is None


# children_of and steps_below --------------------------------------------------------------


def test_children_are_grouped_under_their_manager():
    assert children_of(TREE) == {1: [2, 3], 2: [4], 4: [5]}


def test_nobody_without_reports_has_a_children_entry():
    children = children_of(TREE)
    assert 3 not in children
    assert 6 not in children


def test_steps_below_count_the_distance_from_the_top():
    assert steps_below(children_of(TREE), 1) == {1: 0, 2: 1, 3: 1, 4: 2, 5: 3}


def test_steps_below_a_middle_manager_cover_only_their_subtree():
    assert steps_below(children_of(TREE), 2) == {2: 0, 4: 1, 5: 2}


def test_steps_below_someone_without_reports_is_only_them():
    assert steps_below(children_of(TREE), 6) == {6: 0}


def test_steps_below_terminate_on_a_corrupt_loop():
    assert steps_below(children_of({1: 2, 2: 1}), 1) == {1: 0, 2: 1}


# roots_by_size ------------------------------------------------------------------------------


def test_roots_come_largest_tree_first_with_their_size():
    assert roots_by_size(TREE) == [(1, 5), (6, 1)]


def test_roots_of_equal_trees_come_lower_id_first():
    assert roots_by_size({7: None, 3: None, 8: 7, 4: 3}) == [(3, 2), (7, 2)]


def test_someone_whose_manager_is_unknown_is_a_root():
    assert roots_by_size({1: 42, 2: 1}) == [(1, 2)]


def test_an_empty_mapping_has_no_roots():
    assert roots_by_size({}) == []
