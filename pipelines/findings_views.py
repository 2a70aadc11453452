"""The findings page, /orgs/<slug>/findings/: every flag of the design, by severity and then
by code, each group saying once what the flag means, why it matters and how to fix it, each
finding its message and a link to the object to fix. Large groups show their first few and
link to all of them (the code's own, paginated view). With ?plan=1, the findings of the plan:
the design once its open positions are filled."""

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.catalogue import (
    CATALOGUE,
    ERROR,
    SEVERITY_ORDER,
    SEVERITY_RULES,
    CatalogueEntry,
)
from orgdesign.analysis.findings import Finding, count_by_severity
from orgdesign.analysis.remedies import PROPOSERS
from orgdesign.health.as_of import design_shown
from teams.models import as_row_id

FINDINGS_PAGE_SIZE = 200
# A group shows this many findings; "show all" opens the code's own view.
PREVIEW = 5
# The values of ?plan= that show the plan (the API refuses any other; the page ignores it).
PLAN_ON = ("1", "true")



@dataclass
class FindingGroup:
    entry: CatalogueEntry
    severity: str
    findings: list[Finding] = field(default_factory=list)
    show_all: bool = False

    @property
    def preview(self) -> list[Finding]:
        return self.findings if self.show_all else self.findings[:PREVIEW]

    @property
    def related_label(self) -> str:
        return self.entry.related_label

    @property
    def hidden(self) -> int:
        return 0 if self.show_all else max(0, len(self.findings) - PREVIEW)


def group_findings(findings: list[Finding]) -> list[dict]:
    """Severity sections, each with its codes' groups, the largest first."""
    sections = []
    for level in SEVERITY_ORDER:
        groups: dict[str, FindingGroup] = {}
        for finding in findings:
            if finding.severity == level:
                groups.setdefault(
                    finding.code, FindingGroup(CATALOGUE[finding.code], level)
                ).findings.append(finding)
        if groups:
            ordered = sorted(groups.values(), key=lambda g: (-len(g.findings), g.entry.code))
            sections.append({"severity": level, "groups": ordered})
    return sections


def concerns(finding: Finding, kind: str, pk: int) -> bool:
    """Whether a finding is about a team or pipeline, as its subject or a related object."""
    return any(ref.type == kind and ref.id == pk for ref in (finding.subject, *finding.related))


def _int(value: str) -> int | None:
    return as_row_id(value)


@require_GET
@login_required
def findings(request, slug):
    organisation = get_org_for_user(request, slug)
    # ?plan=1 judges the design as it will be once its open positions are filled. Like the
    # page's other filters, an unknown value is ignored: a link never breaks.
    plan = request.GET.get("plan") in PLAN_ON
    shown_design = design_shown(organisation, request.GET)
    analysis = shown_design.analysis
    all_findings = analysis.plan_findings if plan else analysis.findings
    severity = request.GET.get("severity", "")
    code = request.GET.get("code", "")
    team = _int(request.GET.get("team", ""))
    pipeline = _int(request.GET.get("pipeline", ""))
    shown = [
        finding
        for finding in all_findings
        if (not severity or finding.severity == severity)
        and (not code or finding.code == code)
        and (team is None or concerns(finding, "team", team))
        and (pipeline is None or concerns(finding, "pipeline", pipeline))
    ]
    # One code: all its findings, paginated. Otherwise: each code's first few.
    page = None
    if code:
        page = Paginator(shown, FINDINGS_PAGE_SIZE).get_page(request.GET.get("page"))
        sections = group_findings(list(page.object_list))
        for section in sections:
            for group in section["groups"]:
                group.show_all = True
    else:
        sections = group_findings(shown)
    code_counts: dict[str, int] = {}
    teams, pipelines = {}, {}
    for finding in all_findings:
        code_counts[finding.code] = code_counts.get(finding.code, 0) + 1
        for ref in (finding.subject, *finding.related):
            if ref.type == "team":
                teams[ref.id] = ref.name
            elif ref.type == "pipeline":
                pipelines[ref.id] = ref.name
    return render(
        request,
        "pipelines/findings.html",
        {
            "organisation": organisation,
            "sections": sections,
            "page": page,
            "shown": len(shown),
            "counts": count_by_severity(all_findings),
            "total": len(all_findings),
            "code_counts": [
                (CATALOGUE[code], count) for code, count in sorted(code_counts.items())
            ],
            # Every code, so the page always explains the whole catalogue.
            "catalogue_counts": [
                (entry, code_counts.get(code, 0)) for code, entry in sorted(CATALOGUE.items())
            ],
            "team_choices": sorted(teams.items(), key=lambda item: item[1].casefold()),
            "pipeline_choices": sorted(pipelines.items(), key=lambda item: item[1].casefold()),
            "severity_rules": SEVERITY_RULES,
            "severity": severity,
            "code": code,
            "team": team,
            "pipeline": pipeline,
            "filtered": bool(severity or code or team is not None or pipeline is not None),
            "plan": plan,
            "plan_param": "&plan=1" if plan else "",  # kept by the page's own links
            "open_positions": len(analysis.data.positions),
            "subject_urls": subject_url_prefixes(organisation),
            "editable": shown_design.editable_now and can_edit(organisation),
            **shown_design.context(),
            # Fixes are tried on the design as it is now, so the plan and the past offer none.
            "errors_to_fix": not plan and shown_design.editable_now and any(
                f.severity == ERROR and f.code in PROPOSERS for f in all_findings
            ),
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
        # A component of the software catalog: its row on the catalog page.
        "component": reverse("catalog", args=[slug]) + "#entity-",
    }
