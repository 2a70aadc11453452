"""Forms that parse the pipeline pages' input; the services decide what is valid."""

from django import forms

from pipelines.models import (
    Lifecycle,
    Pipeline,
    PositionStatus,
    Stage,
    Tier,
    default_required_stages,
)
from teams.models import Person, Role, Team


class PipelineForm(forms.Form):
    name = forms.CharField(max_length=200)
    pm_owner = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, label="PM owner", empty_label="— none —"
    )
    lifecycle = forms.ChoiceField(choices=Lifecycle.choices, initial=Lifecycle.INCUBATING)
    tier = forms.ChoiceField(choices=Tier.choices, initial=Tier.NORMAL)
    metric = forms.CharField(max_length=200, required=False, label="Model metric")
    required_stages = forms.MultipleChoiceField(
        choices=Stage.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=default_required_stages,
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        # Any person of the organisation: a non-PM owner is a finding, not an input error.
        self.fields["pm_owner"].queryset = Person.objects.filter(organisation=organisation)


class EngagementEffortForm(forms.Form):
    """The effort an engaged team gives a pipeline: a whole percent, or empty (the team's
    capacity left by the set efforts is shared equally). Its bounds are the service's."""

    effort = forms.IntegerField(
        required=False, label="Effort (%)",
        widget=forms.NumberInput(attrs={"min": 1, "max": 100, "step": 1}),
    )
    # The state of the engagement the editor started from; a stale one is refused.
    version = forms.CharField(required=False, widget=forms.HiddenInput)


class PositionForm(forms.Form):
    """An open seat, created or edited on the positions page. Teams and pipelines are this
    organisation's; the rest (FTE bounds, roles) is the service's to decide."""

    title = forms.CharField(max_length=200)
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    role = forms.ChoiceField(choices=Role.choices, initial=Role.OTHER)
    level = forms.CharField(max_length=20, required=False, help_text="A level name, such as L5.")
    fte = forms.IntegerField(
        label="FTE (%)", initial=100, widget=forms.NumberInput(attrs={"min": 1, "max": 100}),
    )
    target_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date: YYYY-MM-DD."},
    )
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.none(), required=False, empty_label="— none —",
        help_text="The pipeline the seat is hired for, if one.",
    )

    def __init__(self, *args, organisation, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(organisation=organisation)
        self.fields["pipeline"].queryset = Pipeline.objects.filter(organisation=organisation)


class PositionFilterForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False,
                                  empty_label="Any")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any"), *PositionStatus.choices], initial="open",
    )
    pipeline = forms.ModelChoiceField(queryset=Pipeline.objects.none(), required=False,
                                      empty_label="Any")

    def __init__(self, *args, organisation, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(organisation=organisation)
        self.fields["pipeline"].queryset = Pipeline.objects.filter(organisation=organisation)


class FillForm(forms.Form):
    """Who fills a position: a person of the organisation, chosen with the person picker."""

    person = forms.ModelChoiceField(
        queryset=Person.objects.none(), widget=forms.HiddenInput,
        error_messages={"invalid_choice": "No such person in this organisation.",
                        "required": "Choose who fills the position."},
    )
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(organisation=organisation)
