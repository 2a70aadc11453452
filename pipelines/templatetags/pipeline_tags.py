from django import template

register = template.Library()


@register.filter
def stage_label(labels: dict, stage: str) -> str:
    """`{{ stage_labels|stage_label:stage }}`: a stage's label ("Infrastructure"), or the stored
    word for a stage no longer known."""
    return labels.get(stage, stage)
