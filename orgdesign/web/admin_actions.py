"""What the admin sites of `teams` and `pipelines` share."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction


def delete_each(request, queryset, delete, arguments) -> None:
    """A bulk action (a delete, a cancel), one service call per row, each refusal reported:
    the rows the services allow are changed, the others stay."""
    for obj in queryset:
        try:
            with transaction.atomic():
                delete(**arguments(obj))
        except ValidationError as error:
            messages.error(request, f"{obj}: {' '.join(error.messages)}")
