"""Solid-line reporting chains: pure functions over a `{person_id: manager_id}` mapping.

Used by the findings engine (who is in the ML org, how deep), by the services (a manager
change must not close a cycle) and by the bulk sync (a batch must not form a loop). Nothing
here queries the database.
"""

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def chain_of(manager_of: Mapping[int, int | None], person_id: int) -> list[int]:
    """The person, their manager, that manager's manager ... up to the root.

    Stops before repeating anyone, so a corrupt mapping with a cycle cannot loop forever.
    """
    chain = [person_id]
    seen = {person_id}
    current = manager_of.get(person_id)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = manager_of.get(current)
    return chain


def cycle_if_manager_set(
    manager_of: Mapping[int, int | None], person_id: int, new_manager_id: int | None
) -> list[int] | None:
    """The loop that giving `person_id` the manager `new_manager_id` would close, or None.

    The list starts and ends with `person_id`: [person, new manager, ..., person]. A loop
    already higher up that does not pass through the person is not theirs to close.
    """
    if new_manager_id is None:
        return None
    chain = chain_of(manager_of, new_manager_id)
    if person_id not in chain:
        return None
    return [person_id, *chain[: chain.index(person_id) + 1]]


def loops_in(manager_of: Mapping[K, K | None]) -> list[list[K]]:
    """Every reporting loop in a whole mapping (of ids, or of HR external ids before a bulk
    sync writes anything), each once, as the list of its members."""
    state: dict[K, int] = {}  # 1 on the current path, 2 done
    loops = []
    for start in manager_of:
        if start in state:
            continue
        path: list[K] = []
        position: dict[K, int] = {}
        current: K | None = start
        while current is not None and current not in state:
            state[current] = 1
            position[current] = len(path)
            path.append(current)
            current = manager_of.get(current)
        if current is not None and state.get(current) == 1:
            loops.append(path[position[current] :])
        for key in path:
            state[key] = 2
    return loops


def children_of(manager_of: Mapping[int, int | None]) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for person_id, manager_id in manager_of.items():
        if manager_id is not None:
            children.setdefault(manager_id, []).append(person_id)
    return children


def steps_below(children: Mapping[int, Iterable[int]], top_id: int) -> dict[int, int]:
    """Everyone under `top_id` (and `top_id` itself, at 0) with their distance from it."""
    steps = {top_id: 0}
    queue = deque([top_id])
    while queue:
        current = queue.popleft()
        for child in children.get(current, ()):
            if child not in steps:
                steps[child] = steps[current] + 1
                queue.append(child)
    return steps


def roots_by_size(manager_of: Mapping[int, int | None]) -> list[tuple[int, int]]:
    """The tops of the trees, as (root_id, people in its tree), the largest tree first."""
    children = children_of(manager_of)
    roots = [
        person_id
        for person_id, manager_id in manager_of.items()
        if manager_id is None or manager_id not in manager_of
    ]
    sized = [(root, len(steps_below(children, root))) for root in roots]
    sized.sort(key=lambda item: (-item[1], item[0]))
    return sized
