"""The findings page, /orgs/<slug>/findings/: every flag of the design with its reason and
remedy, grouped by severity, and the whole catalogue."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from orgdesign.access import get_org_for_user
from orgdesign.analysis.catalogue import CATALOGUE, SEVERITY_ORDER, SEVERITY_RULES
from orgdesign.analysis.findings import count_by_severity
from orgdesign.analysis.loader import analyse

FINDINGS_PAGE_SIZE = 200


@require_GET
@login_required
def findings(request, slug):
    organisation = get_org_for_user(request, slug)
    _, all_findings = analyse(organisation)
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
            # Every code, so the page always explains the whole catalogue.
            "catalogue_counts": [
                (entry, code_counts.get(code, 0)) for code, entry in sorted(CATALOGUE.items())
            ],
            "severity_rules": SEVERITY_RULES,
            "severity": severity,
            "code": code,
            "subject_urls": subject_url_prefixes(organisation),
        },
    )


def subject_url_prefixes(organisation) -> dict[str, str]:
    """Where each kind of subject is fixed, as URL prefixes (ids appended in the template):
    reversing one URL per finding would cost more than the page at L size."""
    slug = organisation.slug
    return {
        "pipeline": reverse("pipeline_detail", args=[slug, 0]).removesuffix("0/"),
        "team": reverse("team_detail", args=[slug, 0]).removesuffix("0/"),
        "person": reverse("person_detail", args=[slug, 0]).removesuffix("0/"),
        "organisation": reverse("org_settings", args=[slug]),
    }
