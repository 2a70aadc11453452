"""The teams pages of one organisation: the list with its ML-org markers, and a team's page.

Same rules as the people pages: reads for every role, writes for editors (checked in each
view), every write through `teams.services`, refusals next to the field they name.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.kept import ml_org_of_teams
from orgdesign.history.sections import recent_context
from orgdesign.web.forms import add_service_errors, save_create, save_edit
from orgdesign.web.htmx import wants_fragment
from teams import services
from teams.actor import browser_actor
from teams.forms import MemberForm, TeamEditForm, TeamForm
from teams.membership_editor import membership_rows
from teams.models import AccessRole, Organisation, Person, Team
from teams.picker import pickers_for

PAGE_SIZE = 100


def _teams_list_context(request, organisation: Organisation) -> dict:
    """One page of teams with their active member counts and ML-org markers (3 queries)."""
    teams = (
        Team.objects.filter(organisation=organisation)
        .select_related("lead")
        .annotate(member_count=Count("memberships", filter=Q(memberships__person__active=True)))
        .order_by("name", "id")
    )
    page = Paginator(teams, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    in_ml_org = ml_org_of_teams(organisation, shown)
    return {
        "page": page,
        "rows": [(team, in_ml_org[team.id]) for team in shown],
        "has_ml_head": organisation.ml_head is not None and organisation.ml_head.active,
    }


def _new_team_form(organisation: Organisation, data=None) -> TeamForm:
    return TeamForm(data, organisation=organisation, auto_id="new-%s")


def _create_context(organisation: Organisation, form: TeamForm, created=None) -> dict:
    return {
        "organisation": organisation,
        "can_edit": can_edit(organisation),
        "form": form,
        "pickers": pickers_for(form, "lead"),
        "created": created,
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def teams(request, slug):
    organisation = get_org_for_user(request, slug)
    context = {
        "organisation": organisation,
        "can_edit": can_edit(organisation),
        **_teams_list_context(request, organisation),
    }
    if wants_fragment(request):
        return render(request, "teams/teams.html#teams-list", context)
    context.update(_create_context(organisation, _new_team_form(organisation)))
    return render(request, "teams/teams.html", context)


@require_POST
@login_required
def team_create(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)

    def respond(form, created, status):
        context = _create_context(organisation, form, created)
        if request.htmx:
            return render(request, "teams/teams.html#team-create", context, status=status)
        context.update(_teams_list_context(request, organisation))
        return render(request, "teams/teams.html", context, status=status)

    return save_create(
        request,
        organisation=organisation,
        form=_new_team_form(organisation, request.POST),
        create=lambda data: services.team_create(
            actor=browser_actor(request), organisation=organisation, **data
        ),
        new_form=lambda: _new_team_form(organisation),
        detail_url="team_detail",
        respond=respond,
    )


# One team ---------------------------------------------------------------------------------


def _get_team(organisation: Organisation, pk: int) -> Team:
    """A team of this organisation; another organisation's id answers 404."""
    return get_object_or_404(Team.objects.select_related("lead"), organisation=organisation, pk=pk)


def _edit_form(organisation: Organisation, team: Team) -> TeamEditForm:
    initial = {
        "name": team.name,
        "kind": team.kind,
        "lead": team.lead,
        "kpi": team.kpi,
        "kpi_type": team.kpi_type,
        "version": services.version_of(team),
    }
    return TeamEditForm(initial=initial, organisation=organisation)


def _team_form_context(organisation, team, form, notice="", conflict="") -> dict:
    return {
        "organisation": organisation,
        "can_edit": can_edit(organisation),
        "team": team,
        "form": form,
        "pickers": pickers_for(form, "lead"),
        "notice": notice,
        "conflict": conflict,
    }


def _members_context(organisation: Organisation, team: Team, form=None) -> dict:
    memberships = list(team.memberships.select_related("person").order_by("person__name", "id"))
    rows, add_form = membership_rows(memberships, form, "person")
    if add_form is None:
        add_form = MemberForm(organisation=organisation, auto_id="add-%s")
    return {
        "organisation": organisation,
        "can_edit": can_edit(organisation),
        "team": team,
        "member_rows": rows,
        "active_count": sum(1 for membership in memberships if membership.person.active),
        "add_form": add_form,
        "add_pickers": pickers_for(add_form, "person"),
    }


@require_GET
@login_required
def team_detail(request, slug, pk):
    organisation = get_org_for_user(request, slug)
    team = _get_team(organisation, pk)
    context = {
        **_team_form_context(organisation, team, _edit_form(organisation, team)),
        **_members_context(organisation, team),
        **recent_context(request, organisation, team=team.pk),
    }
    return render(request, "teams/team_detail.html", context)


def _team_form_response(request, organisation, team, form, *, notice="", conflict=""):
    """The team's form again: 400 when refused, 409 after a conflicting edit."""
    context = _team_form_context(organisation, team, form, notice, conflict)
    status = 409 if conflict else 400 if form.errors else 200
    if request.htmx:
        return render(request, "teams/team_detail.html#team-form", context, status=status)
    context.update(_members_context(organisation, team))
    return render(request, "teams/team_detail.html", context, status=status)


@require_POST
@login_required
def team_update(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    team = _get_team(organisation, pk)
    return save_edit(
        request,
        organisation=organisation,
        instance=team,
        form=TeamEditForm(request.POST, organisation=organisation),
        update=lambda team, version, changes: services.team_update(
            actor=browser_actor(request), team=team, expected_version=version, **changes
        ),
        edit_form=_edit_form,
        respond=_team_form_response,
        reload=lambda: _get_team(organisation, pk),
        detail_url="team_detail",
    )


def _members_response(request, organisation, team, form=None):
    """The team's members again (400 with the form when refused), or back to its page."""
    refused = form is not None and bool(form.errors)
    if not request.htmx and not refused:
        return redirect("team_detail", slug=organisation.slug, pk=team.pk)
    context = _members_context(organisation, team, form)
    status = 400 if refused else 200
    if request.htmx:
        return render(request, "teams/team_detail.html#team-members", context, status=status)
    context.update(_team_form_context(organisation, team, _edit_form(organisation, team)))
    return render(request, "teams/team_detail.html", context, status=status)


@require_POST
@login_required
def team_member_set(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    team = _get_team(organisation, pk)
    form = MemberForm(request.POST, organisation=organisation, auto_id="add-%s")
    if form.is_valid():
        try:
            services.membership_set(actor=browser_actor(request), team=team, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    return _members_response(request, organisation, team, form)


@require_POST
@login_required
def team_member_remove(request, slug, pk, person_pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    team = _get_team(organisation, pk)
    person = get_object_or_404(Person, organisation=organisation, pk=person_pk)
    services.membership_remove(person=person, team=team, actor=browser_actor(request))
    return _members_response(request, organisation, team)


@require_POST
@login_required
def team_delete(request, slug, pk):
    """Delete a team (its memberships with it; the people stay). Refused, with the reason,
    while pipelines engage it. The history keeps it, to bring it back."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    team = _get_team(organisation, pk)
    name = team.name
    try:
        services.team_delete(team=team, actor=browser_actor(request))
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
        return redirect("team_detail", organisation.slug, pk)
    messages.success(
        request, f"{name} is deleted, with its memberships. History can bring it back."
    )
    return redirect("teams", organisation.slug)
