"""The capacity of a design, `/orgs/<slug>/capacity/` (docs/design.md section 1): a pipelines x
stages heat map of FTE now and planned (the open positions filled), each team's capacity and
what its engagements commit of it, and for admins what it all costs. Computed once per
version of the design (`Analysis.capacity`); the costs, for admins only, from the level
table read on the request (`costs_of`)."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from orgdesign.access.policy import get_org_for_user, sees_money
from orgdesign.analysis.capacity import COLUMN_LABELS, COLUMNS, SQUAD, costs_of
from orgdesign.analysis.kept import analysis_of, level_costs

PIPELINES_PER_PAGE = 50
# The shades of the heat map: a cell's FTE against the largest on the page.
HEAT_STEPS = 5


@dataclass
class HeatCell:
    column: str
    fte: float
    planned_fte: float
    required: bool
    heat: int  # 0 (nothing) to HEAT_STEPS - 1 (the most on the page)
    cost: float | None = None
    # A required stage a product squad covers: squads hold every role they need (seed 000),
    # so their share is under "squad", not a gap in the stage.
    in_squad: bool = False


def _heat(fte: float, top: float) -> int:
    if fte <= 0 or top <= 0:
        return 0
    return max(1, min(HEAT_STEPS - 1, round(fte / top * (HEAT_STEPS - 1))))


@require_GET
@login_required
def capacity(request, slug):
    organisation = get_org_for_user(request, slug)
    analysis = analysis_of(organisation)
    capacity = analysis.capacity
    money = sees_money(organisation.user_role)
    costs = costs_of(analysis.index, level_costs(organisation), capacity) if money else None
    # The columns some pipeline takes capacity from, in the stages' order.
    used = {stage.stage for pipeline in capacity.pipelines for stage in pipeline.stages}
    columns = [column for column in COLUMNS if column in used]
    page = Paginator(capacity.pipelines, PIPELINES_PER_PAGE).get_page(request.GET.get("page"))
    top = max((stage.planned_fte for pipeline in page for stage in pipeline.stages),
              default=0.0)
    rows = []
    for pipeline in page:
        stages = pipeline.by_stage
        squad = stages.get(SQUAD)
        squad_staffed = squad is not None and squad.planned_fte > 0
        cells = []
        for column in columns:
            stage = stages.get(column)
            cells.append(HeatCell(
                column=column,
                fte=stage.fte if stage else 0.0,
                planned_fte=stage.planned_fte if stage else 0.0,
                required=bool(stage and stage.required),
                heat=_heat(stage.planned_fte if stage else 0.0, top),
                cost=costs.by_stage[(pipeline.pipeline.id, column)].planned
                if costs and stage else None,
                in_squad=squad_staffed and column != SQUAD,
            ))
        rows.append({
            "pipeline": pipeline,
            "cells": cells,
            "cost": costs.by_pipeline[pipeline.pipeline.id] if costs else None,
        })
    teams = [
        {"capacity": team, "cost": costs.by_team[team.team.id] if costs else None}
        for team in capacity.teams
    ]
    return render(request, "pipelines/capacity.html", {
        "organisation": organisation,
        "capacity": capacity,
        "columns": [(column, COLUMN_LABELS[column]) for column in columns],
        "page": page,
        "rows": rows,
        "teams": teams,
        "costs": costs,
        "money": money,
    })
