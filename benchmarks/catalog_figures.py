"""The software catalog's figures of `make bench` (issue 32): a catalog of 20,000 components
at L (fewer at smaller sizes: twenty a pipeline), as Backstage entity files, imported through
the import's service, then the matrix and findings pages with it, cold and warm, against the
matrix's budgets (docs/performance.md: warm <= 150 ms, cold <= 600 ms).

- `catalog_import`: reading the files and writing the entities (one run: a re-import of the
  same source replaces them, which is what the second run would measure);
- `matrix_page_catalog`, `findings_catalog`: warm, beside the design's reads with the
  catalog's;
- `matrix_page_catalog_cold`: the matrix first after a change of the design (a title), the
  catalog matched again with the rest.

The components: twenty a pipeline, spread over the pipelines with owner teams, each owned by
its stage's owner team, named after that team's group (`<team name, slugged>`), with the
pipeline and stage as annotations; the first of each pipeline is owned by another stage's
team (a mismatch).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from orgdesign.analysis.kept import analysis_of
from pipelines.catalog import catalog_apply, read_files
from pipelines.models import STAGE_KIND, Engagement, EngagementRole, Pipeline
from teams.models import Organisation

# Twenty components a pipeline: 20,000 at L.
PER_PIPELINE = 20


def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())


def catalog_yaml(organisation: Organisation, per_pipeline: int = PER_PIPELINE) -> bytes:
    """`per_pipeline` components for each pipeline on average, spread over the pipelines
    with owner teams (some have none), one of each pipeline's owned by another team."""
    owners: dict[int, dict[str, str]] = {}
    for pipeline_id, team_name, kind in Engagement.objects.filter(
        pipeline__organisation=organisation, role=EngagementRole.OWNER,
    ).values_list("pipeline_id", "team__name", "team__kind"):
        for stage, stage_kind in STAGE_KIND.items():
            if kind == stage_kind:
                owners.setdefault(pipeline_id, {}).setdefault(str(stage), team_name)
    documents = []
    pipelines = list(Pipeline.objects.filter(organisation=organisation).order_by(
        "id").values_list("id", "name"))
    covered = [(pipeline_id, name) for pipeline_id, name in pipelines if owners.get(pipeline_id)]
    total = per_pipeline * len(pipelines)
    for position, (pipeline_id, name) in enumerate(covered):
        stages = owners[pipeline_id]
        ordered = sorted(stages)
        count = total * (position + 1) // len(covered) - total * position // len(covered)
        for number in range(count):
            stage = ordered[number % len(ordered)]
            owner = stages[ordered[(number + 1) % len(ordered)]] if number == 0 else stages[stage]
            documents.append(
                f"kind: Component\nmetadata:\n  name: c{pipeline_id}-{number}\n"
                f"  annotations:\n    orgdesign.io/pipeline: \"{name}\"\n"
                f"    orgdesign.io/stage: {stage}\n"
                f"spec:\n  type: service\n  owner: {_slug(owner)}\n")
    return "---\n".join(documents).encode()


def catalog_figures(organisation: Organisation, viewer, figure: Callable, timed: Callable,
                    timed_after: Callable, captured_floor: Callable, get: Callable,
                    cold_page: Callable) -> dict:
    figures = {}
    data = catalog_yaml(organisation)
    started = time.perf_counter()
    plan = read_files(organisation, [("bench-catalog.yaml", data)])
    done = catalog_apply(organisation, plan)
    elapsed = (time.perf_counter() - started) * 1000
    figures["catalog_import"] = figure([elapsed], None, None, components=done["brought"],
                                       bytes=len(data))
    print("catalog_import", figures["catalog_import"], flush=True)
    organisation = Organisation.objects.get(pk=organisation.pk)
    analysis = analysis_of(organisation)
    catalog_findings = sum(1 for finding in analysis.findings
                           if finding.code.startswith("catalog."))
    for name, url in (("matrix_page_catalog", f"/orgs/{organisation.slug}/"),
                      ("findings_catalog", f"/orgs/{organisation.slug}/findings/")):
        page = get(viewer, url)
        page()
        figures[name] = figure(*timed(page), captured_floor(page),
                               components=done["brought"], catalog_findings=catalog_findings)
        print(name, figures[name], flush=True)
    write, page = cold_page(viewer, f"/orgs/{organisation.slug}/", organisation)
    figures["matrix_page_catalog_cold"] = figure(*timed_after(write, page), None,
                                                 components=done["brought"])
    print("matrix_page_catalog_cold", figures["matrix_page_catalog_cold"], flush=True)
    return figures
