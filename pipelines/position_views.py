"""The positions (open seats) of a design, `/orgs/<slug>/positions/`: listed and filtered by
anyone who sees the design; opened, edited, filled and cancelled by its editors. The writes
are `pipelines.positions`'s; a filled position puts its person in its team at its FTE."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.history.sections import recent_context
from orgdesign.web.errors import RoleRequired
from orgdesign.web.forms import add_service_errors
from pipelines import positions as services
from pipelines.forms import FillForm, PositionFilterForm, PositionForm
from pipelines.models import Position, PositionStatus
from teams.actor import browser_actor
from teams.models import AccessRole
from teams.picker import pickers_for
from teams.services import ConflictError, version_of

PAGE_SIZE = 50


def _list_page(request, organisation, *, form=None, status=200):
    filters = PositionFilterForm(request.GET or {"status": "open"}, organisation=organisation)
    rows = Position.objects.filter(organisation=organisation).select_related(
        "team", "pipeline", "person"
    ).order_by("team__name", "target_date", "id")
    if filters.is_valid():
        chosen = filters.cleaned_data
        if chosen["team"]:
            rows = rows.filter(team=chosen["team"])
        if chosen["status"]:
            rows = rows.filter(status=chosen["status"])
        if chosen["pipeline"]:
            rows = rows.filter(pipeline=chosen["pipeline"])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pipelines/positions.html", {
        "organisation": organisation,
        "filters": filters,
        "page": page,
        "form": form or PositionForm(organisation=organisation, auto_id="new-%s"),
        "can_edit": can_edit(organisation),
    }, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def positions(request, slug):
    """The list; a POST opens a position (editors)."""
    if request.method == "GET":
        return _list_page(request, get_org_for_user(request, slug))
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    form = PositionForm(request.POST, organisation=organisation, auto_id="new-%s")
    if form.is_valid():
        try:
            position = services.position_create(
                organisation=organisation, actor=browser_actor(request), **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"{position.title} is open in {position.team.name}.")
            return redirect("positions", slug)
    return _list_page(request, organisation, form=form, status=400)


# One position ----------------------------------------------------------------------------


def _position(organisation, pk) -> Position:
    return get_object_or_404(
        Position.objects.select_related("team", "pipeline", "person"),
        organisation=organisation, pk=pk,
    )


def _edit_form(organisation, position, data=None, *, inline: bool = False) -> PositionForm:
    """The edit form, on the position's page or inline in its row of the list (its ids
    then carry the position's, so two rows can be open at once)."""
    initial = {field: getattr(position, field) for field in
               ("title", "team", "role", "level", "fte", "target_date", "pipeline")}
    auto_id = f"edit-{position.pk}-%s" if inline else "edit-%s"
    return PositionForm(data, initial=initial, organisation=organisation, auto_id=auto_id)


def _row(request, organisation, position, *, form=None, conflict="", status=200):
    """A row of the list, read-only or (`form`) open for editing in place (htmx)."""
    context = {"organisation": organisation, "position": position,
               "can_edit": can_edit(organisation), "form": form, "conflict": conflict,
               "version": version_of(position)}
    name = "position-edit-row" if form is not None else "position-row"
    return render(request, f"pipelines/positions.html#{name}", context, status=status)


@require_GET
@login_required
def position_row(request, slug, pk):
    """A row of the list for htmx: as it is, or with `?edit=1` its edit form (editors)."""
    organisation = get_org_for_user(request, slug)
    position = _position(organisation, pk)
    if request.GET.get("edit"):
        if not can_edit(organisation):
            raise RoleRequired(organisation, AccessRole.EDITOR)
        return _row(request, organisation, position,
                    form=_edit_form(organisation, position, inline=True))
    return _row(request, organisation, position)


def _detail(request, organisation, position, *, form=None, fill_form=None, conflict="",
            status=200):
    fill_form = fill_form or FillForm(
        initial={"version": version_of(position)}, organisation=organisation
    )
    return render(request, "pipelines/position_detail.html", {
        "organisation": organisation,
        "position": position,
        "form": form or _edit_form(organisation, position),
        "version": version_of(position),
        "fill_form": fill_form,
        "pickers": pickers_for(fill_form, "person"),
        "conflict": conflict,
        "can_edit": can_edit(organisation),
        **recent_context(request, organisation, position=position.pk),
    }, status=status)


@require_GET
@login_required
def position_detail(request, slug, pk):
    organisation = get_org_for_user(request, slug)
    return _detail(request, organisation, _position(organisation, pk))


def _written(request, organisation, position, write, done: str, **forms):
    """Run a write of the position page: back to where the editor came from when it is
    made, the page again with the refusal (or the other editor's values) when it is not."""
    try:
        write()
    except ConflictError as error:
        return _detail(request, organisation, _position(organisation, position.pk),
                       conflict=error.message, status=409)
    except ValidationError as error:
        form = forms.get("form") or forms.get("fill_form")
        if form is not None:
            add_service_errors(form, error)
        else:
            messages.error(request, " ".join(error.messages))
            return redirect("position_detail", organisation.slug, position.pk)
        return _detail(request, organisation, _position(organisation, position.pk),
                       status=400, **forms)
    messages.success(request, done)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("position_detail", organisation.slug, position.pk)


@require_POST
@login_required
def position_update(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    position = _position(organisation, pk)
    if request.htmx:
        return _update_in_row(request, organisation, position)
    form = _edit_form(organisation, position, request.POST)
    if not form.is_valid():
        return _detail(request, organisation, position, form=form, status=400)
    changes = dict(form.cleaned_data)
    return _written(
        request, organisation, position,
        lambda: services.position_update(
            position=position, team=changes.pop("team"), pipeline=changes.pop("pipeline"),
            expected_version=request.POST.get("version") or None,
            actor=browser_actor(request), **changes,
        ),
        f"{changes['title']} saved.", form=form,
    )


def _update_in_row(request, organisation, position):
    """The edit of a row of the list, in place: the row as saved, or its form again with the
    refusal (400) or the other editor's values (409)."""
    form = _edit_form(organisation, position, request.POST, inline=True)
    if not form.is_valid():
        return _row(request, organisation, position, form=form, status=400)
    changes = dict(form.cleaned_data)
    try:
        position = services.position_update(
            position=position, team=changes.pop("team"), pipeline=changes.pop("pipeline"),
            expected_version=request.POST.get("version") or None,
            actor=browser_actor(request), **changes,
        )
    except ConflictError as error:
        current = _position(organisation, position.pk)
        return _row(request, organisation, current, status=409, conflict=error.message,
                    form=_edit_form(organisation, current, inline=True))
    except ValidationError as error:
        add_service_errors(form, error)
        return _row(request, organisation, _position(organisation, position.pk), form=form,
                    status=400)
    return _row(request, organisation, _position(organisation, position.pk))


@require_POST
@login_required
def position_fill(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    position = _position(organisation, pk)
    fill_form = FillForm(request.POST, organisation=organisation)
    if not fill_form.is_valid():
        return _detail(request, organisation, position, fill_form=fill_form, status=400)
    person = fill_form.cleaned_data["person"]
    return _written(
        request, organisation, position,
        lambda: services.position_fill(
            position=position, person=person,
            expected_version=fill_form.cleaned_data["version"] or None,
            actor=browser_actor(request),
        ),
        f"{person.name} fills {position.title}: they are in {position.team.name} at "
        f"{position.fte}%.",
        fill_form=fill_form,
    )


@require_POST
@login_required
def position_cancel(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.EDITOR)
    position = _position(organisation, pk)
    write = services.position_reopen if position.status == PositionStatus.CANCELLED \
        else services.position_cancel
    done = "opened again" if write is services.position_reopen else "cancelled"
    return _written(
        request, organisation, position,
        lambda: write(position=position, actor=browser_actor(request)),
        f"{position.title} in {position.team.name} is {done}.",
    )
