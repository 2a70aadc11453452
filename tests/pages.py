"""What several page tests share: the data a form posts, a page without what differs on
each answer."""

import re

from teams import services
from teams.models import Person


def edit_data(person: Person, **changes) -> dict:
    """What the person's edit form posts when nothing is changed, plus `changes`."""
    data = {
        "name": person.name,
        "external_id": person.external_id,
        "email": person.email,
        "title": person.title,
        "role": person.role,
        "manager": person.manager_id or "",
        "dotted_line_managers": [p.pk for p in person.dotted_line_managers.all()],
        "active": "on" if person.active else "",
        "version": services.version_of(person),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def without_csrf(content: bytes) -> bytes:
    """A page without its CSRF tokens, which differ on each answer."""
    return re.sub(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', rb"\1", content)
