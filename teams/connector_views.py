"""The directory connectors page, `/orgs/<slug>/connectors/` (admins): connect the live
organisation to Microsoft Entra ID or Okta, map the directory's fields, choose a schedule,
preview and run a pull as a background job, and read every run. The writes are
`teams.directory`'s; a secret is taken, never shown again."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from orgdesign.access.policy import get_org_for_user
from orgdesign.jobs.models import Job, JobKind, JobState
from orgdesign.jobs.runner import job_start
from orgdesign.web.forms import add_service_errors
from teams.actor import browser_actor
from teams.directory.clients import GRAPH_URL, LOGIN_URL
from teams.directory.connectors import connector_delete, connector_save
from teams.directory.mapping import DEFAULTS, FIELDS, mapped_fields, mapping_of
from teams.models import AccessRole, DirectoryConnector, DirectoryKind, DirectoryRun, PullSchedule
from teams.secret_field import SecretsKeyMissing, secrets_keys

RUNS_SHOWN = 20


class ConnectorForm(forms.Form):
    """One kind's form; the fields a kind does not have are left out."""

    url = forms.CharField(max_length=300, required=False)
    login_url = forms.CharField(max_length=300, required=False, label="Token authority")
    tenant_id = forms.CharField(max_length=100, required=False, label="Directory (tenant) id")
    client_id = forms.CharField(max_length=100, required=False,
                                label="Application (client) id")
    group = forms.CharField(
        max_length=100, required=False, label="Only the members of this group (object id)",
        help_text="Empty: every user of the tenant. A group: its members, transitively; "
                  "someone who leaves it is deactivated.")
    secret = forms.CharField(max_length=2000, required=False, strip=True,
                             widget=forms.PasswordInput(render_value=False,
                                                        attrs={"autocomplete": "off"}))
    schedule = forms.ChoiceField(choices=PullSchedule.choices, initial=PullSchedule.MANUAL,
                                 help_text="python manage.py run_schedule (started by make "
                                           "run) or cron runs the due ones.")

    def __init__(self, *args, kind: str, connector: DirectoryConnector | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.auto_id = f"{kind}-%s"
        if kind == DirectoryKind.OKTA:
            for name in ("login_url", "tenant_id", "client_id", "group"):
                del self.fields[name]
            self.fields["url"].label = "Okta org URL"
            self.fields["url"].help_text = "Such as https://acme.okta.com."
            self.fields["secret"].label = "API token"
        else:
            self.fields["url"].label = "Microsoft Graph URL"
            self.fields["url"].help_text = f"Empty: {GRAPH_URL} (national clouds differ)."
            self.fields["login_url"].help_text = f"Empty: {LOGIN_URL}."
            self.fields["secret"].label = "Client secret"
        saved = connector is not None and bool(connector.secret)
        self.fields["secret"].required = False
        self.fields["secret"].help_text = (
            "Saved and encrypted; it is never shown again. Leave empty to keep it, or give a "
            "new one." if saved else "Stored encrypted; never shown again once saved.")
        mapping = mapping_of(kind, connector.mapping if connector else {})
        for name in mapped_fields(kind):
            self.fields[f"map_{name}"] = forms.CharField(
                max_length=200, required=False, label=FIELDS[name], initial=mapping[name],
                help_text=f"Default: {DEFAULTS[kind][name]}.")
        if connector is not None and not self.is_bound:
            for name in ("url", "login_url", "tenant_id", "client_id", "group", "schedule"):
                if name in self.fields:
                    self.initial[name] = getattr(connector, name)

    def mapping_fields(self):
        return [self[name] for name in self.fields if name.startswith("map_")]

    def connection_fields(self):
        return [self[name] for name in self.fields if not name.startswith("map_")]

    def mapping(self, saved: dict) -> dict:
        """The saved choices, with those of the fields the form sent (one left empty is
        not pulled; one not sent keeps what it was)."""
        mapping = dict(saved)
        for name, value in self.cleaned_data.items():
            if name.startswith("map_") and name in self.data:
                mapping[name.removeprefix("map_")] = value
        return mapping


def _organisation(request, slug):
    organisation = get_org_for_user(request, slug, min_role=AccessRole.ADMIN)
    if organisation.is_scenario:
        raise Http404("A scenario has no directory connector.")
    return organisation


def _page(request, organisation, *, forms_by_kind=None, status=200):
    connectors = {c.kind: c for c in DirectoryConnector.objects.filter(organisation=organisation)}
    runs = list(DirectoryRun.objects.filter(connector__organisation=organisation)
                .select_related("connector", "job")[:RUNS_SHOWN])
    chosen = request.GET.get("run")
    shown = next((run for run in runs if str(run.uid) == chosen), None) or next(
        (run for run in runs if run.changes or run.error), None)
    running = Job.objects.filter(organisation=organisation, kind=JobKind.DIRECTORY_PULL,
                                 state__in=[JobState.QUEUED, JobState.RUNNING]).first()
    sections = []
    for kind, label in DirectoryKind.choices:
        connector = connectors.get(kind)
        form = (forms_by_kind or {}).get(kind) or ConnectorForm(kind=kind, connector=connector)
        sections.append({"kind": kind, "label": label, "connector": connector, "form": form,
                         "first": connector is not None and not connector.runs.exists()})
    try:
        secrets_keys()
        key_missing = ""
    except SecretsKeyMissing as missing:
        key_missing = str(missing)
    return render(request, "teams/connectors.html", {
        "organisation": organisation, "sections": sections, "runs": runs, "shown": shown,
        "running": running, "key_missing": key_missing,
        "allow_http": settings.ORGDESIGN_DIRECTORY_ALLOW_HTTP,
    }, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def connectors(request, slug):
    """The page, and a connector saved from one of its forms."""
    organisation = _organisation(request, slug)
    if request.method == "GET":
        return _page(request, organisation)
    kind = request.POST.get("kind", "")
    if kind not in DirectoryKind.values:
        messages.error(request, "Choose Microsoft Entra ID or Okta.")
        return _page(request, organisation, status=400)
    existing = DirectoryConnector.objects.filter(organisation=organisation, kind=kind).first()
    form = ConnectorForm(request.POST, kind=kind, connector=existing)
    if form.is_valid():
        data = form.cleaned_data
        try:
            connector = connector_save(
                organisation=organisation, kind=kind,
                mapping=form.mapping(existing.mapping if existing else {}),
                secret=data.pop("secret") or None, user=request.user,
                **{name: data[name] for name in ("url", "login_url", "tenant_id",
                                                 "client_id", "group", "schedule")
                   if name in data},
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{connector.get_kind_display()} saved. Preview a pull "
                             "to see what it would change.")
            return redirect("connectors", slug)
    return _page(request, organisation, forms_by_kind={kind: form}, status=400)


def _add_errors(form: ConnectorForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        renamed = {}
        for name, messages_ in error.message_dict.items():
            field = f"map_{name.removeprefix('mapping.')}" if name.startswith("mapping.") \
                else name
            renamed[field] = messages_
        error = ValidationError(renamed)
    add_service_errors(form, error)


def _connector(organisation, directory) -> DirectoryConnector:
    connector = DirectoryConnector.objects.filter(organisation=organisation,
                                                  kind=directory).first()
    if connector is None:
        raise Http404("No such connector.")
    return connector


@require_POST
@login_required
def connector_run(request, slug, directory):
    """A pull as a background job. The connector's first run is a preview whatever was
    asked: nothing is written before an admin has seen what it would change."""
    organisation = _organisation(request, slug)
    connector = _connector(organisation, directory)
    preview = request.POST.get("preview") == "1" or not connector.runs.exists()
    with transaction.atomic():
        job = job_start(organisation=organisation, kind=JobKind.DIRECTORY_PULL,
                        params={"connector": connector.pk, "preview": preview},
                        actor=browser_actor(request))
    return redirect("job", slug=organisation.slug, pk=job.uid)


@require_POST
@login_required
def connector_remove(request, slug, directory):
    organisation = _organisation(request, slug)
    connector = _connector(organisation, directory)
    connector_delete(connector=connector)
    messages.success(request, f"{connector.get_kind_display()} disconnected: the people it "
                     "brought stay, and nothing is pulled any more.")
    return redirect("connectors", slug)
