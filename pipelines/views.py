"""The matrix and findings pages of one organisation."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pipelines.catalogue import CATALOGUE, SEVERITY_ORDER
from pipelines.findings import compute_findings, count_by_severity
from pipelines.loader import load_org_data
from pipelines.matrix import build_columns, build_rows, sorted_pipelines
from pipelines.orgdata import OrgIndex
from pipelines.structure import classify_structure
from teams.access import get_org_for_user

FINDINGS_PAGE_SIZE = 200


def _analyse(organisation):
    """Load the design once (five queries) and run the pure analyses over it."""
    data = load_org_data(organisation)
    index = OrgIndex(data)
    return index, compute_findings(data, index)


@require_GET
@login_required
def matrix(request, slug):
    organisation = get_org_for_user(request, slug)
    index, findings = _analyse(organisation)
    groups = build_columns(index, findings)
    page = Paginator(sorted_pipelines(index), settings.MATRIX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = build_rows(index, list(page.object_list), groups, findings)
    return render(
        request,
        "pipelines/matrix.html",
        {
            "organisation": organisation,
            "groups": groups,
            "rows": rows,
            "page": page,
            "counts": count_by_severity(findings),
            "structure": classify_structure(index.data, index),
            "column_count": sum(len(group.columns) for group in groups),
        },
    )


@require_GET
@login_required
def findings(request, slug):
    organisation = get_org_for_user(request, slug)
    _, all_findings = _analyse(organisation)
    severity = request.GET.get("severity", "")
    code = request.GET.get("code", "")
    shown = [
        finding
        for finding in all_findings
        if (not severity or finding.severity == severity) and (not code or finding.code == code)
    ]
    page = Paginator(shown, FINDINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    groups = []
    for level in SEVERITY_ORDER:
        items = [finding for finding in page.object_list if finding.severity == level]
        if items:
            groups.append({"severity": level, "findings": items})
    code_counts: dict[str, int] = {}
    for finding in all_findings:
        code_counts[finding.code] = code_counts.get(finding.code, 0) + 1
    return render(
        request,
        "pipelines/findings.html",
        {
            "organisation": organisation,
            "groups": groups,
            "page": page,
            "counts": count_by_severity(all_findings),
            "total": len(all_findings),
            "catalogue": CATALOGUE,
            "code_counts": [
                (CATALOGUE[code], count) for code, count in sorted(code_counts.items())
            ],
            "severity": severity,
            "code": code,
        },
    )
