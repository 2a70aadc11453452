"""Trying a change in memory (`remedies.Design.after`) must judge the design exactly as a whole
analysis of the changed design would: it keeps facts (`orgdata.FACT_TABLES`), findings of
rules (`findings.RULE_TABLES`) and, for manager moves, follows the reporting facts around the
people moved (`OrgIndex.moved`). Random changes of a generated design check all three."""

import gc
import random

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgdesign.analysis.changes import (
    DROP_STAGE,
    KINDS,
    MOVE_MEMBER,
    OPEN_POSITION,
    SET_CELL,
    SET_LEAD,
    SET_MANAGER,
    SET_PM,
    Change,
    _changed,
    design_after,
)
from orgdesign.analysis.findings import (
    RULE_TABLES,
    RULES,
    Ref,
    findings_by_rule,
    in_order,
    reached,
)
from orgdesign.analysis.loader import load_org_data
from orgdesign.analysis.orgdata import OrgData, OrgIndex
from orgdesign.analysis.plan import plan_findings
from orgdesign.analysis.remedies import (
    PROPOSERS,
    Design,
    advise,
    find,
    plan_all_fixes,
)
from orgdesign.analysis.reporting import cycle_if_manager_set
from orgdesign.scenarios.fixes import apply_changes
from pipelines.generator import generate_org
from teams.models import Organisation, Role, TeamKind
from tests.builders import OrgBuilder


@pytest.fixture
def generated(db) -> OrgData:
    organisation = Organisation.objects.create(slug="gen", name="Generated")
    generate_org(organisation, people=1200, teams=40, pipelines=60, seed=7)
    return load_org_data(organisation)


def afresh(data: OrgData, plan: bool = False) -> list:
    """A whole analysis of the rows; in plan mode (where a design with a position opened is
    judged) with the open positions filled."""
    index = OrgIndex(data)
    by_rule = findings_by_rule(index)
    return plan_findings(index, by_rule) if plan else in_order(by_rule)


def person(row) -> Ref:
    return Ref("person", row.id, row.name)


def random_change(rng: random.Random, index: OrgIndex) -> Change:
    data = index.data
    action = rng.choice([SET_MANAGER, SET_MANAGER, SET_MANAGER, SET_LEAD, SET_PM, SET_CELL,
                         DROP_STAGE, MOVE_MEMBER, OPEN_POSITION])
    someone = rng.choice(data.people)
    if action == SET_MANAGER:
        # Half the moves among the people the rules look at most: leads, PMs, the ML org.
        busy = [index.people_by_id[pid] for pid in
                [*(t.lead_id for t in data.teams if t.lead_id), *index.pm_owner_ids,
                 *index.ml_steps]]
        while True:
            mover = rng.choice(busy if rng.random() < 0.5 else data.people)
            # Some moves to nobody: a break in the chain, the people below it unplaced.
            manager = None if rng.random() < 0.15 else rng.choice(
                busy if rng.random() < 0.5 else data.people)
            manager_id = manager.id if manager is not None else None
            if manager_id is None or not cycle_if_manager_set(index.manager_of, mover.id,
                                                              manager_id):
                break
        return Change(SET_MANAGER, person(mover), "", to=person(manager) if manager else None)
    if action == SET_LEAD:
        team = rng.choice(data.teams)
        return Change(SET_LEAD, Ref("team", team.id, team.name), "", to=person(someone))
    pipeline = rng.choice(data.pipelines)
    subject = Ref("pipeline", pipeline.id, pipeline.name)
    if action == OPEN_POSITION:
        team = rng.choice(data.teams)
        return Change(OPEN_POSITION, Ref("team", team.id, team.name), "",
                      to=subject if rng.random() < 0.7 else None,
                      role=rng.choice([Role.SCIENTIST, Role.ML_ENGINEER, Role.DATA_ENGINEER]),
                      title="Engineer", fte=rng.choice([20, 50, 100]))
    if action == SET_PM:
        return Change(SET_PM, subject, "", to=person(someone))
    if action == DROP_STAGE:
        stage = rng.choice(pipeline.required_stages or ["data"])
        return Change(DROP_STAGE, subject, "", stage=stage)
    team = rng.choice(data.teams)
    if action == SET_CELL:
        role = rng.choice(["owner", "contributor", "service", ""])
        return Change(SET_CELL, subject, "", to=Ref("team", team.id, team.name), role=role)
    membership = rng.choice(data.memberships)
    mover = index.people_by_id[membership.person_id]
    source = index.teams_by_id[membership.team_id]
    taken = {m.team_id for m in index.memberships_by_person[mover.id]}
    target = rng.choice([t for t in data.teams if t.id not in taken])
    return Change(MOVE_MEMBER, person(mover), "", to=Ref("team", target.id, target.name),
                  from_team=Ref("team", source.id, source.name))


def test_every_rule_says_which_tables_it_reads():
    # (Every fact of the index: tests/test_remedies.py.)
    assert {rule.name for rule in RULES} == set(RULE_TABLES)


@pytest.mark.parametrize("seed", range(6))
def test_changes_tried_in_memory_are_judged_as_a_whole_analysis_would(generated, seed):
    rng = random.Random(seed)
    design = Design(OrgIndex(generated))
    moves_followed = 0
    for _ in range(25):
        changes = [random_change(rng, design.index) for _ in range(rng.choice([1, 1, 2, 3]))]
        moves_followed += _changed(design.index, changes)[1].people is not None
        after = design.after(changes)
        assert after.findings == afresh(after.index.data, after.plan)
        # The design before is left as it was.
        assert design.findings == afresh(design.index.data, design.plan)
        design = after
    # The moves were followed incrementally, not only by deriving everything again.
    assert moves_followed > 0


def test_managers_moved_one_after_another_stay_exact(generated):
    rng = random.Random(11)
    design = Design(OrgIndex(generated))
    for _ in range(60):
        change = random_change(rng, design.index)
        if change.action != SET_MANAGER:
            continue
        design = design.after([change])
    assert design.findings == afresh(design.index.data)


def test_the_plan_and_every_remedy_judge_as_a_whole_analysis_would(generated):
    design = Design(OrgIndex(generated))
    errors = [f for f in design.findings if f.code in PROPOSERS][:30]
    for finding in errors:
        for remedy in advise(design.index, design.findings, finding, design.by_rule).remedies:
            assert remedy.after.findings == afresh(remedy.after.index.data,
                                                   remedy.opens_positions)
    plan = plan_all_fixes(design.index, design.findings, design.by_rule)
    after = Design(OrgIndex(generated)).after(plan.changes)
    assert plan.after == afresh(after.index.data, after.plan)


def test_the_person_relieved_of_a_pipeline_or_a_team_is_judged_again():
    org = OrgBuilder()
    head = org.person("Hana", role=Role.EXECUTIVE)
    org.set_ml_head(head)
    pm = org.person("Pia", role=Role.PRODUCT_MANAGER, manager=head)
    other_pm = org.person("Otto", role=Role.PRODUCT_MANAGER, manager=head)
    lead = org.person("Lee", role=Role.ENGINEERING_MANAGER, manager=head)
    other_lead = org.person("Oda", role=Role.ENGINEERING_MANAGER, manager=head)
    team = org.team("Models", lead=lead)
    org.member(other_lead, team)
    pipeline = org.pipeline("Ranking", pm=pm)
    org.pipeline("Ads", pm=other_pm)
    design = Design(OrgIndex(org.data()))
    unallocated = {f.subject.name for f in design.findings if f.code == "person.unallocated"}
    assert not unallocated & {"Pia", "Lee"}

    for change in (
        Change(SET_PM, Ref("pipeline", pipeline.id, "Ranking"), "", to=person(other_pm)),
        Change(SET_LEAD, Ref("team", team.id, "Models"), "", to=person(other_lead)),
    ):
        after = design.after([change])
        assert after.findings == afresh(after.index.data)
        # Relieved of their only pipeline or team, they are now in nothing.
        assert {f.subject.name for f in after.findings if f.code == "person.unallocated"} & {
            "Pia", "Lee"}


def test_two_one_person_owners_of_a_stage_are_two_findings_with_a_key_each():
    org = OrgBuilder()
    head = org.person("Hana", role=Role.EXECUTIVE)
    org.set_ml_head(head)
    pm = org.person("Pia", role=Role.PRODUCT_MANAGER, manager=head)
    pipeline = org.pipeline("Ranking", pm=pm, required_stages=["modeling"])
    for name in ("Solo A", "Solo B"):
        lead = org.person(f"{name} lead", role=Role.TECH_LEAD, manager=head)
        team = org.team(name, kind=TeamKind.MODELING, lead=lead)
        org.member(lead, team)
        org.engage(pipeline, team)
    findings = afresh(org.data())
    solo = [f for f in findings if f.code == "pipeline.single_person_stage"]

    assert [f.related[0].name for f in solo] == ["Solo A", "Solo B"]
    assert [f.key for f in solo] == [
        f"pipeline.single_person_stage:{pipeline.id}:modeling:{f.related[0].id}" for f in solo]
    assert [find(findings, f.key) for f in solo] == solo


def stored_shape(data: OrgData) -> dict:
    """What the kinds of change write, as comparable sets."""
    return {
        "managers": {(p.id, p.manager_id) for p in data.people},
        "leads": {(t.id, t.lead_id) for t in data.teams},
        "pms": {(p.id, p.pm_owner_id) for p in data.pipelines},
        "stages": {(p.id, tuple(sorted(p.required_stages or ()))) for p in data.pipelines},
        "memberships": {(m.person_id, m.team_id, m.allocation) for m in data.memberships},
        "cells": {(e.pipeline_id, e.team_id, e.role) for e in data.engagements},
        "positions": {(p.team_id, p.title, p.role, p.fte, p.pipeline_id)
                      for p in data.positions},
    }


@pytest.mark.parametrize("action", sorted(KINDS))
def test_each_kind_of_change_writes_what_it_simulates(generated, action):
    """A kind of change is one class (`changes.KINDS`): the design it makes in memory is the
    design its `apply` writes through the services."""
    organisation = generated.organisation
    rng = random.Random(action)
    for _ in range(50):
        index = OrgIndex(load_org_data(organisation))
        change = random_change(rng, index)
        if change.action != action:
            continue
        in_memory = stored_shape(design_after(index, [change]).data)
        try:
            apply_changes(organisation=organisation, changes=[change])
        except ValidationError:
            continue  # a change the services refuse (a lead from elsewhere...): try another
        assert stored_shape(load_org_data(organisation)) == in_memory
        assert stored_shape(load_org_data(organisation)) != stored_shape(index.data) or (
            action == SET_CELL and not change.role
        )
        return
    pytest.fail(f"no {action} change could be written")


def test_a_change_is_judged_again_only_on_what_it_can_reach(generated):
    index = OrgIndex(generated)
    design = Design(index)
    engaged = next(e for e in generated.engagements if e.role == "owner")
    team = index.teams_by_id[engaged.team_id]
    pipeline = index.pipelines_by_id[engaged.pipeline_id]
    change = Change(SET_CELL, Ref("pipeline", pipeline.id, pipeline.name), "",
                    to=Ref("team", team.id, team.name), role="")
    after_index, touched = _changed(index, [change])
    pipelines = reached(after_index, touched, "pipeline")
    teams = reached(after_index, touched, "team")
    # The cell's pipeline and the others its team works on; the team and the others of the
    # pipeline: not the whole design.
    assert pipeline.id in pipelines
    assert pipelines == {pipeline.id} | {e.pipeline_id for e in index.engagements_by_team[team.id]}
    assert len(pipelines) < len(generated.pipelines)
    assert teams == {team.id} | {e.team_id for e in index.engagements_by_pipeline[pipeline.id]}
    after = design.after([change])
    assert after.findings == afresh(after.index.data)


def company_with_ml_head():
    """A CEO, and the ML head reporting to them."""
    org = OrgBuilder()
    ceo = org.person("Cleo", role=Role.EXECUTIVE)
    head = org.person("Hana", role=Role.EXECUTIVE, manager=ceo)
    org.set_ml_head(head)
    return org, ceo, head


def test_a_move_that_makes_someone_else_the_top_is_judged_afresh():
    org, ceo, head = company_with_ml_head()
    # A second tree, cut off from the first by a gap in the HR data, with a team in it.
    other = org.person("Omar", role=Role.EXECUTIVE)
    lead = org.person("Lee", role=Role.ENGINEERING_MANAGER, manager=other)
    team = org.team("Data platform", kind=TeamKind.INFRASTRUCTURE, lead=lead)
    org.member(lead, team)
    pipeline = org.pipeline("Ranking", pm=org.person("Pia", role=Role.PRODUCT_MANAGER,
                                                     manager=head))
    org.engage(pipeline, team)
    crowd = [org.person(f"Sales {n}", role=Role.OTHER, manager=ceo) for n in range(3)]
    index = OrgIndex(org.data())
    assert index.top_of_organisation == ceo.id
    # The crowd moves to Omar's tree, now the larger: Omar becomes the top, so everyone's
    # place (inside the ML org, outside, or unknown) is judged again, not only the crowd's.
    changes = [Change(SET_MANAGER, person(mover), "", to=person(other)) for mover in crowd]
    after_index, touched = _changed(index, changes)
    assert after_index.top_of_organisation == other.id
    assert touched.people is None
    after = Design(index).after(changes)
    assert after.findings == afresh(after.index.data)


def test_a_break_in_a_chain_is_judged_again_at_its_top_only():
    org, ceo, head = company_with_ml_head()
    for n in range(4):
        org.person(f"Staff {n}", role=Role.OTHER, manager=ceo)
    # A director whose own manager is missing from the HR data: PMs below her cannot be
    # placed inside or outside the ML org.
    cut_off = org.person("Dora", role=Role.ENGINEERING_MANAGER)
    pm = org.person("Pia", role=Role.PRODUCT_MANAGER, manager=cut_off)
    other_pm = org.person("Otto", role=Role.PRODUCT_MANAGER, manager=head)
    org.pipeline("Ranking", pm=pm)
    org.pipeline("Ads", pm=other_pm)
    index = OrgIndex(org.data())
    design = Design(index)
    (before,) = [f for f in design.findings if f.code == "person.no_manager"]
    assert before.subject.id == cut_off.id and "Ranking's PM" in before.message

    # Otto, the PM of Ads, moves under Dora: her break now strands both pipelines.
    change = Change(SET_MANAGER, person(other_pm), "", to=person(cut_off))
    after_index, touched = _changed(index, [change])
    assert reached(after_index, touched, "root") == {ceo.id, cut_off.id}
    after = design.after([change])
    assert after.findings == afresh(after.index.data)
    (moved,) = [f for f in after.findings if f.code == "person.no_manager"]
    assert "Ads's PM" in moved.message and "Ranking's PM" in moved.message


def test_many_changes_write_what_they_simulate_in_the_same_number_of_queries(generated):
    """A fix of every error writes hundreds of cells: they are written together, and the
    rows the changes name read together (`fixes.Writer`), whatever their number."""
    organisation = generated.organisation
    counts = []
    for size, role in ((3, "owner"), (12, "owner"), (3, ""), (12, "")):
        index = OrgIndex(load_org_data(organisation))
        # New cells, then the same number of cells cleared: each kind of write in its few
        # statements, whatever the number of cells.
        held = {(e.pipeline_id, e.team_id) for e in index.data.engagements}
        pairs = ([(p, t) for p in index.pipelines_by_id for t in index.teams_by_id
                  if (p, t) not in held] if role else sorted(held))[:size]
        changes = [Change(SET_CELL, Ref("pipeline", p, index.pipelines_by_id[p].name), "",
                          to=Ref("team", t, index.teams_by_id[t].name), role=role)
                   for p, t in pairs]
        in_memory = stored_shape(design_after(index, changes).data)
        with CaptureQueriesContext(connection) as queries:
            apply_changes(organisation=organisation, changes=changes)
        counts.append(len(queries))
        assert stored_shape(load_org_data(organisation)) == in_memory
    assert counts[0] == counts[1] and counts[2] == counts[3]


def test_the_plan_pauses_the_cycle_collector_and_gives_it_back(generated):
    design = Design(OrgIndex(generated))
    seen = []
    plan_all_fixes(design.index, design.findings, design.by_rule,
                   progress=lambda done, total: seen.append(gc.isenabled()))
    assert seen and not any(seen)
    assert gc.isenabled()

    def interrupted(done, total):
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        plan_all_fixes(design.index, design.findings, design.by_rule, progress=interrupted)
    assert gc.isenabled()
