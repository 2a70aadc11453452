"""Forms of the people and teams pages. They only parse the request: text, choices, and ids
turned into this organisation's rows. Every rule (no manager cycle, allocation bounds, unique
names and emails) is the services' to decide, so the browser, the API and the imports agree.
"""

from django import forms

from teams.models import KpiType, Organisation, Person, Role, Team, TeamKind, WorkerType

ANY = ("", "Any")


class _Form(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels sit above their inputs, without a colon
        super().__init__(*args, **kwargs)


class PersonFilterForm(_Form):
    q = forms.CharField(label="Search", required=False)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Active and inactive"), ("active", "Active"), ("inactive", "Inactive")],
    )
    role = forms.ChoiceField(label="Role", required=False, choices=[ANY, *Role.choices])


class _PersonChoiceField(forms.ModelChoiceField):
    """A person id from a picker, looked up among one organisation's people only."""

    widget = forms.HiddenInput
    default_error_messages = {"invalid_choice": "No such person in this organisation."}


class _PeopleChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid_choice": "No such person in this organisation."}


class _OrganisationForm(_Form):
    """A form whose person and team fields accept only the ids of `organisation`."""

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(organisation=organisation)
        for field in self.fields.values():
            if isinstance(field, _PersonChoiceField | _PeopleChoiceField):
                field.queryset = people
            elif isinstance(field, forms.ModelChoiceField):
                field.queryset = Team.objects.filter(organisation=organisation)


class PersonForm(_OrganisationForm):
    name = forms.CharField(required=False)
    external_id = forms.CharField(label="External id", required=False)
    email = forms.CharField(required=False, widget=forms.EmailInput)
    title = forms.CharField(required=False)
    department = forms.CharField(
        required=False, help_text="The HR department, as the HR system or identity provider has it."
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OTHER)
    # Left out of a request (a page drawn before the fields existed), the worker type and the
    # level are not asked for: a new person is an employee without a level, an edited one
    # keeps theirs.
    worker_type = forms.ChoiceField(
        label="Worker type", choices=WorkerType.choices, initial=WorkerType.EMPLOYEE,
        required=False,
        help_text="Contractors (agency, vendor or offshore staff) report to their vendor.",
    )
    level = forms.CharField(required=False, help_text="The HR job level, such as L5.")
    manager = _PersonChoiceField(queryset=Person.objects.none(), required=False)

    def clean(self):
        data = super().clean()
        for name in ("worker_type", "level"):
            if name not in self.data or (name == "worker_type" and not data.get(name)):
                data.pop(name, None)
        return data


class PersonEditForm(PersonForm):
    dotted_line_managers = _PeopleChoiceField(
        label="Dotted-line managers", queryset=Person.objects.none(), required=False
    )
    active = forms.BooleanField(required=False)
    # The state of the person the editor started from; a stale one is refused as a conflict.
    version = forms.CharField(required=False, widget=forms.HiddenInput)


class TeamForm(_OrganisationForm):
    name = forms.CharField(required=False)
    kind = forms.ChoiceField(choices=TeamKind.choices, initial=TeamKind.OTHER)
    lead = _PersonChoiceField(queryset=Person.objects.none(), required=False)
    kpi = forms.CharField(label="KPI", required=False)
    kpi_type = forms.ChoiceField(
        label="KPI type", required=False, choices=[("", "—"), *KpiType.choices]
    )


class TeamEditForm(TeamForm):
    version = forms.CharField(required=False, widget=forms.HiddenInput)


class MembershipForm(_OrganisationForm):
    """A team and an allocation, from a person's page."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        error_messages={"invalid_choice": "No such team in this organisation."},
    )
    allocation = forms.IntegerField(label="Allocation (%)")


class MemberForm(_OrganisationForm):
    """A person and an allocation, from a team's page."""

    person = _PersonChoiceField(queryset=Person.objects.none())
    allocation = forms.IntegerField(label="Allocation (%)")
