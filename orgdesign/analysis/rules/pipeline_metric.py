"""A pipeline in production needs a model metric to judge it by."""

from __future__ import annotations

from collections.abc import Iterator

from orgdesign.analysis.declare import WARNING, CatalogueEntry, Rule
from orgdesign.analysis.finding import (
    Finding,
    pipeline_ref,
)
from orgdesign.analysis.orgdata import OrgIndex
from pipelines.models import Lifecycle


def pipeline_metric_rules(index: OrgIndex) -> Iterator[Finding]:
    for pipeline in index.data.pipelines:
        if pipeline.lifecycle == Lifecycle.PRODUCTION and not pipeline.metric.strip():
            yield Finding(
                "pipeline.no_metric",
                pipeline_ref(pipeline),
                f"{pipeline.name} is in production but has no model metric to judge it by.",
            )


# The declarations.

NO_METRIC = CatalogueEntry(
    "pipeline.no_metric", WARNING, "Production pipeline without a model metric",
    "Teams need \"performance measures that are correlated with success\" (seed 002): "
    "without a metric for the model, its teams cannot tell whether their work improves it.",
    "Set the model metric the pipeline is judged on (e.g. click-through rate, recall at a "
    "precision).",
    subject="pipeline",
)

RULE = Rule(
    pipeline_metric_rules,
    reads={"pipelines"},
    codes=(NO_METRIC,),
)
