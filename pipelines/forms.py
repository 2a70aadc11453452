"""Forms that parse the pipeline pages' input; the services decide what is valid."""

from django import forms

from pipelines.models import Lifecycle, Stage, Tier, default_required_stages
from teams.models import Person


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
