"""The teams pages of one organisation: the list with its ML-org markers, and a team's page.

Same rules as the people pages: reads for every role, writes for editors (checked in each
view), every write through `teams.services`, refusals next to the field they name.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.analysis.kept import analysis_of, ml_org_of_teams
from teams import services
from teams.actor import browser_actor
from teams.forms import MemberForm, TeamEditForm, TeamForm
from teams.membership_editor import membership_rows
from teams.models import AccessRole, Organisation, Person, Team
from teams.page_helpers import DetailPage, ListPage
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


TEAMS_PAGE = ListPage(
    template="teams/teams.html",
    list_section="teams-list",
    create_section="team-create",
    list_context=_teams_list_context,
    form_class=TeamForm,
    pickers=("lead",),
    detail_url="team_detail",
)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def teams(request, slug):
    return TEAMS_PAGE.render(request, get_org_for_user(request, slug))


@require_POST
@login_required
def team_create(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    return TEAMS_PAGE.create(request, organisation, lambda data: services.team_create(
        actor=browser_actor(request), organisation=organisation, **data
    ))


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


def _members_context(organisation: Organisation, team: Team, form=None) -> dict:
    memberships = list(team.memberships.select_related("person").order_by("person__name", "id"))
    seats = list(team.positions.filter(status="open").order_by("target_date", "id"))
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
        # Its open seats (positions are the pipelines app's: shown here, never written).
        "open_positions": seats,
        "open_fte": sum(seat.fte for seat in seats) / 100,
        # The components of the software catalog it owns, when the design has a catalog
        # (then from the kept analysis, which matched them).
        "components": sorted(
            analysis_of(organisation).index.catalog.by_team.get(team.id, ()),
            key=lambda placed: placed.row.name.casefold(),
        ) if organisation.catalog_size else [],
    }


TEAM_PAGE = DetailPage(
    template="teams/team_detail.html",
    name="team",
    form_section="team-form",
    members_section="team-members",
    edit_form=_edit_form,
    pickers=("lead",),
    members_context=_members_context,
    detail_url="team_detail",
)


@require_GET
@login_required
def team_detail(request, slug, pk):
    organisation = get_org_for_user(request, slug)
    return TEAM_PAGE.render(request, organisation, _get_team(organisation, pk))


@require_POST
@login_required
def team_update(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    return TEAM_PAGE.edit(
        request,
        organisation,
        _get_team(organisation, pk),
        TeamEditForm(request.POST, organisation=organisation),
        update=lambda team, version, changes: services.team_update(
            actor=browser_actor(request), team=team, expected_version=version, **changes
        ),
        reload=lambda: _get_team(organisation, pk),
    )


@require_POST
@login_required
def team_member_set(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    team = _get_team(organisation, pk)
    form = MemberForm(request.POST, organisation=organisation, auto_id="add-%s")
    return TEAM_PAGE.set_membership(request, organisation, team, form)


@require_POST
@login_required
def team_member_remove(request, slug, pk, person_pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    team = _get_team(organisation, pk)
    person = get_object_or_404(Person, organisation=organisation, pk=person_pk)
    services.membership_remove(person=person, team=team, actor=browser_actor(request))
    return TEAM_PAGE.members_response(request, organisation, team)


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
