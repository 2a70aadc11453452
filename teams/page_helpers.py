"""What the people and teams pages share (`teams/people_views.py`, `teams/team_views.py`).

Each is a list with an add form (`ListPage`), and an object's page with its edit form and
its membership editor (`DetailPage`; the editor's rows are `teams.membership_editor`'s). A
section of a page is a partial of its template: htmx, which swaps the section, gets it alone;
any other request gets the whole page, with the context of its other sections, read only then.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from orgdesign.access.policy import can_edit
from orgdesign.history.sections import recent_context
from orgdesign.web.forms import add_service_errors, save_create, save_edit
from orgdesign.web.htmx import wants_fragment
from teams import services
from teams.actor import browser_actor
from teams.models import Organisation
from teams.picker import pickers_for


def _section_or_page(request, template: str, section: str, context: dict,
                     rest: Callable[[], dict], *, alone: bool, status: int = 200):
    """`section` of `template` alone, or the whole page with `rest()` added to `context`."""
    if alone:
        return render(request, f"{template}#{section}", context, status=status)
    context.update(rest())
    return render(request, template, context, status=status)


@dataclass(frozen=True)
class ListPage:
    """A list page: `template`, with its list (the partial `list_section`, whose context is
    `list_context(request, organisation)`) and its add form (the partial `create_section`, a
    `form_class` whose person fields are `pickers`). A created object's page is the URL named
    `detail_url`."""

    template: str
    list_section: str
    create_section: str
    list_context: Callable[..., dict]
    form_class: type
    pickers: tuple[str, ...]
    detail_url: str

    def new_form(self, organisation: Organisation, data=None):
        return self.form_class(data, organisation=organisation, auto_id="new-%s")

    def create_context(self, organisation: Organisation, form, created=None) -> dict:
        return {
            "organisation": organisation,
            "can_edit": can_edit(organisation),
            "form": form,
            "pickers": pickers_for(form, *self.pickers),
            "created": created,
        }

    def render(self, request, organisation: Organisation):
        """The page, or its list alone for htmx (the whole page when htmx restores its
        history after a reload)."""
        context = {
            "organisation": organisation,
            "can_edit": can_edit(organisation),
            **self.list_context(request, organisation),
        }
        return _section_or_page(
            request, self.template, self.list_section, context,
            lambda: self.create_context(organisation, self.new_form(organisation)),
            alone=wants_fragment(request),
        )

    def create(self, request, organisation: Organisation, create: Callable):
        """The add form's POST (`save_create`): `create(cleaned_data)` calls the service."""

        def respond(form, created, status):
            return _section_or_page(
                request, self.template, self.create_section,
                self.create_context(organisation, form, created),
                lambda: self.list_context(request, organisation),
                alone=bool(request.htmx), status=status,
            )

        return save_create(
            request,
            organisation=organisation,
            form=self.new_form(organisation, request.POST),
            create=create,
            new_form=lambda: self.new_form(organisation),
            detail_url=self.detail_url,
            respond=respond,
        )


@dataclass(frozen=True)
class DetailPage:
    """An object's page: `template`, with its edit form (the partial `form_section`) and its
    membership editor (the partial `members_section`). The object is `name` ("person",
    "team") to the template, to its History section and to `teams.services.membership_set`;
    `edit_form(organisation, obj)` is its form as stored, whose person fields are `pickers`;
    `members_context(organisation, obj, form=None)` is the editor's context, with a refused
    `form` shown. The page is the URL named `detail_url`."""

    template: str
    name: str
    form_section: str
    members_section: str
    edit_form: Callable
    pickers: tuple[str, ...]
    members_context: Callable[..., dict]
    detail_url: str

    def form_context(self, organisation: Organisation, obj, form, notice: str = "",
                     conflict: str = "") -> dict:
        return {
            "organisation": organisation,
            "can_edit": can_edit(organisation),
            self.name: obj,
            "form": form,
            "pickers": pickers_for(form, *self.pickers),
            "notice": notice,
            "conflict": conflict,
        }

    def _stored_form_context(self, organisation: Organisation, obj) -> dict:
        return self.form_context(organisation, obj, self.edit_form(organisation, obj))

    def render(self, request, organisation: Organisation, obj):
        """The whole page, with the History section of the object."""
        context = {
            **self._stored_form_context(organisation, obj),
            **self.members_context(organisation, obj),
            **recent_context(request, organisation, **{self.name: obj.pk}),
        }
        return render(request, self.template, context)

    def form_response(self, request, organisation: Organisation, obj, form, *, notice="",
                      conflict=""):
        """The edit form again: 400 when refused, 409 after a conflicting edit."""
        return _section_or_page(
            request, self.template, self.form_section,
            self.form_context(organisation, obj, form, notice, conflict),
            lambda: self.members_context(organisation, obj),
            alone=bool(request.htmx),
            status=409 if conflict else 400 if form.errors else 200,
        )

    def edit(self, request, organisation: Organisation, obj, form, *, update: Callable,
             reload: Callable):
        """The edit form's POST (`save_edit`): `update(obj, version, changes)` calls the
        service, `reload()` reads the object again after a refusal."""
        return save_edit(
            request,
            organisation=organisation,
            instance=obj,
            form=form,
            update=update,
            edit_form=self.edit_form,
            respond=self.form_response,
            reload=reload,
            detail_url=self.detail_url,
        )

    def members_response(self, request, organisation: Organisation, obj, form=None):
        """The membership editor again (400 with the form when refused), or back to the
        object's page."""
        refused = form is not None and bool(form.errors)
        if not request.htmx and not refused:
            return redirect(self.detail_url, slug=organisation.slug, pk=obj.pk)
        return _section_or_page(
            request, self.template, self.members_section,
            self.members_context(organisation, obj, form),
            lambda: self._stored_form_context(organisation, obj),
            alone=bool(request.htmx),
            status=400 if refused else 200,
        )

    def set_membership(self, request, organisation: Organisation, obj, form):
        """The editor's add or change: `form` names the membership's other side and its
        allocation; a service's refusal is shown beside the field it names."""
        if form.is_valid():
            try:
                services.membership_set(
                    actor=browser_actor(request), **{self.name: obj}, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
        return self.members_response(request, organisation, obj, form)
