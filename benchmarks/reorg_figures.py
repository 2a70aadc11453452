"""The reviewed re-org's figures of `make bench` (issue 30), each beside its floor in the same
run: the copy into a scenario, "try all fixes" (its plan, and the whole), the change list
(cold and kept), the changes and compare pages (warm), a rebase taking in a hundred live
changes and the merge of a hundred changes.

A read's floor is its own statements sent again with the bare psycopg connection
(`bench.captured_floor`). A write's floor is the same: its statements, as PostgreSQL received
them, sent again in a transaction that checks every deferred constraint at once and is then
rolled back (`write_floor`), so the floor writes the same rows with the same indexes and
checks, without Django, the services or the analysis. Only the statements that cannot run
there are left out: the isolation level (it must come first), VACUUM (outside transactions).
The copy's floor is the exception said where it is taken.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from benchmarks.timing import client_in
from orgdesign.analysis.findings import findings_by_rule
from orgdesign.analysis.kept import analysis_of
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.analysis.remedies import plan_all_fixes
from orgdesign.scenarios import base as scenario_base
from orgdesign.scenarios.base import changes_of
from orgdesign.scenarios.merge import scenario_merge, scenario_rebase
from orgdesign.scenarios.services import scenario_create
from orgdesign.scenarios.try_fix import try_all_fixes
from teams import services
from teams.actor import SYSTEM
from teams.models import MergeApproval, Organisation, Person

CHANGES = 100
LEFT_OUT = ("SET TRANSACTION", "VACUUM")


def once(call) -> tuple[float, list[dict], object]:
    """Milliseconds of one call (its commit and what runs on commit included), its
    statements and its result."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = call()
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, list(queries.captured_queries), result


def write_floor(statements: list[dict], runs: int, *, immediate: bool = True) -> float:
    """Median milliseconds of `statements` sent again, in a transaction rolled back (with
    every deferred constraint checked at once when `immediate`)."""
    raw = connection.connection
    sqls = net_work([query["sql"] for query in statements
                     if not query["sql"].upper().startswith(LEFT_OUT)])
    timings = []
    for _ in range(runs):
        with raw.transaction(force_rollback=True), raw.cursor() as cursor:
            started = time.perf_counter()
            if immediate:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for sql in sqls:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def net_work(sqls: list[str]) -> list[str]:
    """The statements that did the work: without the savepoints, and without what a
    savepoint rolled back (a slug taken, tried again under another), which would fail again
    when sent again."""
    kept: list[str] = []
    marks: dict[str, int] = {}
    for sql in sqls:
        words = sql.replace('"', "").split()
        upper = [word.upper() for word in words]
        if upper[:1] == ["SAVEPOINT"]:
            marks[words[1]] = len(kept)
        elif upper[:3] == ["ROLLBACK", "TO", "SAVEPOINT"]:
            del kept[marks.get(words[3], len(kept)):]
        elif upper[:2] == ["RELEASE", "SAVEPOINT"]:
            marks.pop(words[2], None)
        else:
            kept.append(sql)
    return kept


def retitle(organisation: Organisation, word: str, skip: int = 0) -> None:
    people = Person.objects.filter(organisation=organisation).order_by("id")[
        skip:skip + CHANGES]
    for person in people:
        services.person_update(person=person, title=f"{word} {person.pk}")


def fix_figures(organisation: Organisation, figure: Callable, runs: int,
                made: list) -> dict:
    """"Try all fixes": the plan of every error's fix (`fix_plan`, pure, beside one whole
    analysis of the design: how many analyses' worth the plan costs), and the whole of it
    (`try_all_fixes`: the plan, the copy, the changes written), beside its statements sent
    again (their foreign keys unchecked, as the copy's floor)."""
    analysis = analysis_of(organisation)

    def plan():
        return plan_all_fixes(analysis.index, analysis.findings, analysis.by_rule)

    timings, steps, queries = [], 0, 0
    for _ in range(max(1, runs // 2)):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            steps = len(plan().steps)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    whole = []
    for _ in range(runs):
        started = time.perf_counter()
        findings_by_rule(OrgIndex(analysis.index.data))
        whole.append((time.perf_counter() - started) * 1000)
    figures = {"fix_plan": figure(timings, queries, statistics.median(whole), steps=steps)}
    elapsed, statements, tried = once(lambda: try_all_fixes(organisation=organisation))
    made.append(tried.scenario)
    # The floor replays a second try's statements (its scenario gets another slug), rolled
    # back, as the copy's floor does, and after the real one for the same reason.
    with transaction.atomic():
        _, trial, _ = once(lambda: try_all_fixes(organisation=organisation))
        transaction.set_rollback(True)
    figures["try_all_fixes"] = figure([elapsed], len(statements),
                                      write_floor(trial, runs, immediate=False),
                                      steps=len(tried.plan.steps), changes=tried.changes)
    print("try all fixes", figures, flush=True)
    return figures


def reorg_figures(organisation: Organisation, figure: Callable, timed: Callable,
                  captured_floor: Callable, get: Callable, runs: int) -> tuple[dict, list]:
    """The figures, and the designs made (for the caller to delete)."""
    figures = {}
    organisation.merge_approval = MergeApproval.NEVER
    organisation.save(update_fields=["merge_approval"])
    admin = client_in(organisation, username="bench-make-reorg-admin", role="admin")
    slug = organisation.slug

    elapsed, statements, copy = once(lambda: scenario_create(
        origin=organisation, name=f"{slug} copy"))
    made = [copy]
    # The copy's floor: the statements of a second copy (of another name), rolled back, sent
    # again. Its rows name the rolled-back organisation, so this floor's foreign keys are
    # left unchecked (the real copy checks them at its commit: 0.6 to 0.9 s at L,
    # docs/performance.md). Taken after the real copy, whose inserts would otherwise find
    # the indexes full of the rolled-back rows.
    with transaction.atomic():
        _, trial, _ = once(lambda: scenario_create(origin=organisation, name=f"{slug} floor"))
        transaction.set_rollback(True)
    figures["scenario_copy"] = figure([elapsed], len(statements),
                                      write_floor(trial, runs, immediate=False))
    print("scenario_copy", figures["scenario_copy"], flush=True)

    figures.update(fix_figures(organisation, figure, runs, made))

    retitle(copy, "Scenario")
    scenario_base._kept.clear()
    elapsed, statements, changes = once(lambda: changes_of(copy))
    assert len(changes) == CHANGES, len(changes)
    figures["change_list_cold"] = figure([elapsed], len(statements),
                                         captured_floor(lambda: changes_of(copy)))
    figures["change_list_kept"] = figure(*timed(lambda: changes_of(copy)),
                                         captured_floor(lambda: changes_of(copy)))
    for name, url in (("changes_page", f"/orgs/{slug}/scenarios/{copy.slug}/changes/"),
                      ("compare_page", f"/orgs/{slug}/compare/{copy.slug}/")):
        figures[name] = figure(*timed(get(admin, url)), captured_floor(get(admin, url)))
    print("change_list", {name: figures[name] for name in (
        "change_list_cold", "change_list_kept", "changes_page", "compare_page")}, flush=True)

    retitle(organisation, "Live", skip=CHANGES)  # other people than the scenario's
    elapsed, statements, rebased = once(lambda: scenario_rebase(scenario=copy, actor=SYSTEM))
    assert rebased["taken"] == CHANGES, rebased
    figures["scenario_rebase"] = figure([elapsed], len(statements),
                                        write_floor(statements, runs), taken=CHANGES)
    elapsed, statements, result = once(lambda: scenario_merge(scenario=copy, actor=SYSTEM))
    assert result["changes"] == CHANGES, result
    figures["scenario_merge"] = figure([elapsed], len(statements),
                                       write_floor(statements, runs), changes=CHANGES)
    print("rebase and merge", figures["scenario_rebase"], figures["scenario_merge"],
          flush=True)
    return figures, made
