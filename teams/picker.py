"""The person picker of every form that names people (manager, dotted lines, team lead, PM
owner, ML head): what it shows. Its search and pick endpoints are `teams/picker_views.py`."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from teams.models import Person

# The fields a person picker can fill: its label, and whether it holds several people.
PICKERS = {
    "manager": ("Manager", False),
    "dotted_line_managers": ("Dotted-line managers", True),
    "lead": ("Lead", False),
    "person": ("Person", False),
    "ml_head": ("ML head", False),
    "pm_owner": ("PM owner", False),
}


@dataclass
class Picker:
    """What a picker shows: the people chosen so far (their ids are its hidden inputs)."""

    field: str
    label: str
    multiple: bool
    chosen: list[Person]
    errors: list[str] = field(default_factory=list)
    focus: bool = False


def pickers_for(form, *names: str) -> dict[str, Picker]:
    """The pickers of `form`'s person fields, showing what it was given or started from.

    A refused form shows the people it was sent, even the one a service refused (its error
    is removed from `cleaned_data`), so saving again never clears the field by surprise.
    """
    pickers = {}
    for name in names:
        label, multiple = PICKERS[name]
        if not form.is_bound:
            value = form.initial.get(name)
        elif name in getattr(form, "cleaned_data", {}):
            value = form.cleaned_data[name]
        else:
            try:
                value = form.fields[name].clean(form[name].data)
            except ValidationError:
                value = None  # an id of no one in this organisation: nothing to show
        chosen = list(value or ()) if multiple else [value] if value else []
        pickers[name] = Picker(name, label, multiple, chosen, list(form.errors.get(name, ())))
    return pickers
