"""Organisation-level pages: create one, its settings, and who has which role in it."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from orgdesign.access.policy import can_edit, get_org_for_user
from orgdesign.web.forms import add_service_errors
from teams import services
from teams.actor import browser_actor
from teams.models import (
    AccessRole,
    ApiToken,
    MergeApproval,
    OrganisationAccess,
    Person,
    TokenScope,
)
from teams.picker import pickers_for
from teams.tokens import token_create, token_revoke


class OrganisationCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=80, help_text="Letters, digits and hyphens; it appears in the address."
    )


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    role = forms.ChoiceField(choices=AccessRole.choices, initial=AccessRole.VIEWER)


@require_http_methods(["GET", "POST"])
@login_required
def org_create(request):
    form = OrganisationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(
                actor=browser_actor(request),
                slug=form.cleaned_data["slug"], name=form.cleaned_data["name"],
                creator=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("matrix", organisation.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "teams/org_create.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def members(request, slug):
    """Admins see who has which role, and add people by username. A scenario has no members
    of its own: those of the design it belongs to see it, so its page is theirs."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    if organisation.home_id is not None:
        return redirect("members", organisation.home.slug)
    form = MemberForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            user = get_user_model().objects.filter(
                username=form.cleaned_data["username"]
            ).first()
            if user is None:
                form.add_error("username", "No login has this username.")
            else:
                try:
                    services.access_grant(
                        organisation=organisation, user=user, role=form.cleaned_data["role"]
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    return redirect("members", slug)
    accesses = (
        OrganisationAccess.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__username")
    )
    return render(
        request,
        "teams/members.html",
        {"organisation": organisation, "form": form, "accesses": accesses,
         "roles": AccessRole.choices, "error": request.GET.get("error", "")},
        status=status,
    )


@require_POST
@login_required
def member_change(request, slug, user_id):
    """Change a member's role, or remove them (role "none")."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    if organisation.home_id is not None:
        raise Http404("A scenario's members are those of the design it belongs to.")
    access = OrganisationAccess.objects.filter(
        organisation=organisation, user_id=user_id
    ).select_related("user").first()
    if access is None:
        raise Http404("This login has no role here.")
    role = request.POST.get("role", "")
    try:
        if role == "none":
            services.access_revoke(organisation=organisation, user=access.user)
        else:
            services.access_grant(organisation=organisation, user=access.user, role=role)
    except ValidationError as error:
        accesses = (
            OrganisationAccess.objects.filter(organisation=organisation)
            .select_related("user")
            .order_by("user__username")
        )
        return render(
            request,
            "teams/members.html",
            {"organisation": organisation, "form": MemberForm(), "accesses": accesses,
             "roles": AccessRole.choices, "error": " ".join(error.messages)},
            status=400,
        )
    return redirect("members", slug)


class OrganisationSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    ml_head = forms.ModelChoiceField(queryset=Person.objects.none(), required=False,
                                     label="ML head")
    span_max = forms.IntegerField(min_value=1, max_value=1000, label="Widest span of control",
                                  help_text="More active direct reports than this is flagged.")
    layers_max = forms.IntegerField(min_value=1, max_value=50, label="Deepest reporting line",
                                    help_text="More steps below the ML head than this is "
                                              "flagged.")
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ml_head"].queryset = Person.objects.filter(organisation=organisation)


def _settings_form(organisation) -> OrganisationSettingsForm:
    return OrganisationSettingsForm(
        organisation=organisation,
        initial={
            "name": organisation.name,
            "ml_head": organisation.ml_head,
            "span_max": organisation.span_max,
            "layers_max": organisation.layers_max,
            "version": services.version_of(organisation),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def org_settings(request, slug):
    """The organisation's name, ML head and thresholds: editors change them."""
    min_role = AccessRole.EDITOR if request.method == "POST" else AccessRole.VIEWER
    organisation = get_org_for_user(request, slug, min_role=min_role)
    status, conflict, saved = 200, "", False
    if request.method == "POST":
        form = OrganisationSettingsForm(request.POST, organisation=organisation)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version") or None
            try:
                services.organisation_update(
                actor=browser_actor(request),
                    organisation=organisation, expected_version=version, **data
                )
            except services.ConflictError as error:
                conflict, status = error.message, 409
                organisation = get_org_for_user(request, slug)
                form = _settings_form(organisation)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                saved, status = True, 200
                form = _settings_form(organisation)
    else:
        form = _settings_form(organisation)
    return render(
        request,
        "teams/org_settings.html",
        {
            "organisation": organisation,
            "editable": can_edit(organisation),
            "form": form,
            "pickers": pickers_for(form, "ml_head"),
            "conflict": conflict,
            "saved": saved,
            "approval_form": (MergeApprovalForm(initial={
                "merge_approval": organisation.merge_approval})
                if organisation.user_role == AccessRole.ADMIN
                and not organisation.scenario_of_id else None),
        },
        status=status,
    )


class MergeApprovalForm(forms.Form):
    merge_approval = forms.ChoiceField(
        choices=MergeApproval.choices, label="A scenario needs an admin's approval before it "
        "is merged", widget=forms.RadioSelect)


@require_POST
@login_required
def org_merge_approval(request, slug):
    """Whether merging a scenario needs an approval: the admins' to say."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    form = MergeApprovalForm(request.POST)
    if form.is_valid():
        services.organisation_update(organisation=organisation, actor=browser_actor(request),
                                     merge_approval=form.cleaned_data["merge_approval"])
        messages.success(request, "Saved: " + dict(MergeApproval.choices)[
            form.cleaned_data["merge_approval"]].lower() + ", a merge needs an approval.")
    else:
        messages.error(request, "Choose one of the three answers.")
    return redirect("org_settings", slug)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who or what uses it, e.g. “Workday sync”.")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    design = forms.ChoiceField(
        label="Design",
        required=False,
        help_text="The design it reads (and writes, with scope write): this one, or one of its "
                  "scenarios. A scenario's token may also compare it with its origin.",
    )

    def __init__(self, *args, designs, **kwargs):
        super().__init__(*args, **kwargs)
        self.designs = {design.slug: design for design in designs}
        self.fields["design"].choices = [
            (design.slug, design.name + (" (scenario)" if design.home_id else ""))
            for design in designs
        ]
        self.fields["design"].initial = designs[0].slug


def _designs(organisation) -> list:
    """The design whose tokens a page manages, then its scenarios: tokens are made and
    revoked on the live design only, for it or for one of its scenarios."""
    return [organisation, *organisation.all_scenarios.order_by("name", "id")]


def _tokens_page(request, organisation, *, form, new_key="", status=200):
    tokens = (
        ApiToken.objects.filter(
            Q(organisation=organisation) | Q(organisation__home=organisation)
        ).select_related("created_by", "organisation")
    )
    return render(
        request,
        "teams/tokens.html",
        {"organisation": organisation, "form": form, "tokens": tokens, "new_key": new_key},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def api_tokens(request, slug):
    """Admins create tokens (the key is shown once, on this answer only) and revoke them.
    A scenario's tokens are managed on its home."""
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    if organisation.home_id is not None:
        return redirect("api_tokens", organisation.home.slug)
    designs = _designs(organisation)
    form = TokenForm(request.POST or None, designs=designs)
    if request.method == "POST":
        if form.is_valid():
            try:
                _, key = token_create(
                    organisation=form.designs.get(form.cleaned_data["design"], organisation),
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"], created_by=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return _tokens_page(request, organisation, form=TokenForm(designs=designs),
                                    new_key=key)
        return _tokens_page(request, organisation, form=form, status=400)
    return _tokens_page(request, organisation, form=form)


@require_POST
@login_required
def api_token_revoke(request, slug, pk):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    if organisation.home_id is not None:
        raise Http404("A scenario's tokens are revoked on the design it belongs to.")
    token = ApiToken.objects.filter(
        Q(organisation=organisation) | Q(organisation__home=organisation), pk=pk
    ).first()
    if token is None:
        raise Http404("No such token.")
    token_revoke(token=token)
    return redirect("api_tokens", slug)
