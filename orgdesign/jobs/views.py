"""The job page: /orgs/<slug>/jobs/<uid>/, how far a background job got."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from orgdesign.access.policy import get_org_for_user, job_visible
from orgdesign.jobs.models import Job, JobKind, JobState
from orgdesign.jobs.runner import job_as_read
from orgdesign.scenarios.links import compare_url


@require_GET
@login_required
def job(request, slug, pk):
    """How far a job of this organisation got; htmx polls the `job` fragment until it ends."""
    organisation = get_org_for_user(request, slug)
    job = get_object_or_404(Job, organisation=organisation, uid=pk)
    if not job_visible(job, role=organisation.user_role, user_id=request.user.pk):
        raise Http404("No such job.")
    job = job_as_read(job)
    context = {"organisation": organisation, "job": job}
    if request.htmx:
        if job.kind == JobKind.SCENARIO_FIX and job.state == JobState.DONE:
            # A fix tried: the page that follows it opens the comparison by itself.
            tried = "all" if job.params.get("all") else job.params.get("finding", "")
            return HttpResponseClientRedirect(
                compare_url(organisation, job.result["scenario"], tried,
                            plan=bool(job.result.get("planned")))
            )
        return render(request, "jobs/job.html#job", context)
    return render(request, "jobs/job.html", context)
