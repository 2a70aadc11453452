"""Glue between the services' errors and Django forms, shared by every editing view."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect

from teams.services import ConflictError


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        for message in messages:
            form.add_error(target, message)


def save_edit(request, *, organisation, instance, form, update, edit_form, respond, reload,
              detail_url: str):
    """The edit flow of a detail page, shared by the person and team pages.

    `update(instance, expected_version, changes)` calls the service. A stale version shows
    the other editor's values with the conflict message (never overwriting them); a refused
    edit keeps the refused values in the form beside the stored object (`reload()`); a saved
    edit redirects, or answers htmx with the fresh form and "Saved.". `respond(request,
    organisation, obj, form, notice=, conflict=)` renders the form.
    """
    if not form.is_valid():
        return respond(request, organisation, instance, form)
    changes = dict(form.cleaned_data)
    version = changes.pop("version")
    try:
        instance = update(instance, version, changes)
    except ConflictError as error:
        # Someone saved first: show their values, never overwrite them with ours.
        current = error.current
        return respond(request, organisation, current, edit_form(organisation, current),
                       conflict=error.message)
    except ValidationError as error:
        add_service_errors(form, error)
        return respond(request, organisation, reload(), form)
    if not request.htmx:
        return redirect(detail_url, slug=organisation.slug, pk=instance.pk)
    return respond(request, organisation, instance, edit_form(organisation, instance),
                   notice="Saved.")


def save_create(request, *, organisation, form, create, new_form, detail_url: str, respond):
    """The add-inline flow of a list page, shared by the people and teams pages.

    `create(cleaned_data)` calls the service. A refused form comes back with its errors
    (400); a saved one redirects to the new object's page, or answers htmx with a fresh form
    and the object just `created`. `respond(form, created, status)` renders the answer.
    """
    created = None
    if form.is_valid():
        try:
            created = create(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if created is not None and not request.htmx:
        return redirect(detail_url, slug=organisation.slug, pk=created.pk)
    if created is not None:
        form = new_form()
    return respond(form, created, 400 if form.errors else 200)
