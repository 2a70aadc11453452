"""Try a fix, in the browser: /orgs/<slug>/findings/<key>/remedies/ shows the remedies of one
finding, ranked, each with what it fixes and breaks elsewhere, and a "Try this fix" button;
/orgs/<slug>/findings/fix-all/ does the same for every error at once. Trying one creates a
scenario with the change made (a worker does it for a large design) and opens the comparison.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.catalogue import CATALOGUE, ERROR
from orgdesign.analysis.kept import analysis_of
from orgdesign.analysis.remedies import PROPOSERS, plan_all_fixes
from orgdesign.jobs.models import JobKind
from orgdesign.jobs.runner import job_start
from orgdesign.scenarios.links import compare_url
from orgdesign.scenarios.try_fix import (
    INLINE_PEOPLE,
    FixRefused,
    advice_for,
    chosen,
    shown,
    try_all_fixes,
    try_remedy,
)
from orgdesign.web.errors import RoleRequired
from teams.actor import browser_actor
from teams.models import AccessRole, Organisation, as_row_id


def _rank(value: str | None) -> int:
    """The rank a form sends; none means the best (the findings page's button). Read like an
    id, from ASCII digits only: "²" passes str.isdigit() but not int(), which also refuses
    5,000 digits."""
    if value is None or value == "":
        return 1
    rank = as_row_id(value)
    if rank is None:
        raise FixRefused(f"Choose a fix by its rank (1 is the best), not '{shown(value)}'.")
    return rank


def _inline(organisation: Organisation) -> bool:
    return analysis_of(organisation).size <= INLINE_PEOPLE


# What each refusal answers: a finding gone, remedies changed since read, no such remedy.
REFUSAL_STATUS = {FixRefused.GONE: 404, FixRefused.STALE: 409, FixRefused.INVALID: 400}


@require_http_methods(["GET", "POST"])
@login_required
def remedies(request, slug, key):
    """The ranked remedies of one finding; an editor tries one (POST `rank`, the best when
    left out, and `summary`, the remedy as read)."""
    organisation = get_org_for_user(request, slug)
    error, status = "", 200
    if request.method == "POST":
        if not can_edit(organisation):
            raise RoleRequired(organisation, AccessRole.EDITOR)
        summary = request.POST.get("summary")
        actor = browser_actor(request)
        try:
            advice = advice_for(organisation, key)
            # After the finding: an unknown one answers 404 whatever the rank (as the API).
            rank = _rank(request.POST.get("rank"))
            # Checked now, so a stale choice is refused at once, before a worker is asked.
            chosen(advice, rank, summary)
            # The finding by its key from here on: a position would name another one once
            # the design changes.
            finding = advice.finding.key
            if _inline(organisation):
                tried = try_remedy(organisation=organisation, key=finding, rank=rank,
                                   summary=summary, creator=request.user, actor=actor,
                                   advice=advice)
                return redirect(compare_url(organisation, tried.scenario.slug, finding,
                                            plan=tried.planned))
            job = job_start(
                organisation=organisation, kind=JobKind.SCENARIO_FIX,
                params={"finding": finding, "rank": rank, "summary": summary}, actor=actor,
            )
            return redirect("job", slug=organisation.slug, pk=job.uid)
        except FixRefused as refusal:
            error, status = " ".join(refusal.messages), REFUSAL_STATUS[refusal.reason]
        except ValidationError as refusal:
            # A service refused one of the changes in the copy: nothing was kept.
            error = "The fix could not be made, so no scenario was kept: " + " ".join(
                refusal.messages)
            status = 409
    try:
        advice = advice_for(organisation, key)
    except FixRefused as refusal:
        return render(
            request, "fixes/gone.html",
            {"organisation": organisation, "message": " ".join(refusal.messages)}, status=404,
        )
    return render(
        request,
        "fixes/remedies.html",
        {
            "organisation": organisation,
            "advice": advice,
            "entry": CATALOGUE[advice.finding.code],
            "key": advice.finding.key,
            "editable": can_edit(organisation),
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def fix_all(request, slug):
    """Every error's best remedy in one scenario: the plan first (for a design small enough
    to plan while the page waits), then, on POST, the scenario and its comparison."""
    organisation = get_org_for_user(request, slug)
    analysis = analysis_of(organisation)
    inline = analysis.size <= INLINE_PEOPLE
    error = ""
    if request.method == "POST":
        if not can_edit(organisation):
            raise RoleRequired(organisation, AccessRole.EDITOR)
        actor = browser_actor(request)
        if not inline:
            job = job_start(organisation=organisation, kind=JobKind.SCENARIO_FIX,
                            params={"all": True}, actor=actor)
            return redirect("job", slug=organisation.slug, pk=job.uid)
        try:
            tried = try_all_fixes(organisation=organisation, creator=request.user, actor=actor)
            return redirect(compare_url(organisation, tried.scenario.slug, "all",
                                        plan=tried.planned))
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
    errors = [f for f in analysis.findings if f.severity == ERROR]
    automatic = [f for f in errors if f.code in PROPOSERS]
    plan = plan_all_fixes(analysis.index, analysis.findings, analysis.by_rule) if inline else None
    return render(
        request,
        "fixes/fix_all.html",
        {
            "organisation": organisation,
            "errors": errors,
            "automatic": automatic,
            "plan": plan,
            "editable": can_edit(organisation),
            "error": error,
        },
        status=409 if error else 200,
    )
