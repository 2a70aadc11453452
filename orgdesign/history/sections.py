"""The History section of the person, team and pipeline pages (templates/history/recent.html):
shared by those pages' views, so it lives outside any of them."""

from orgdesign.access.policy import can_edit, role_at_least, sees_money
from orgdesign.history.services import Filters, history_page
from teams.models import AccessRole, Organisation

RECENT = 10


def recent_context(request, organisation: Organisation, **about) -> dict:
    """The newest entries about one person, team or pipeline (`person=id`, ...), for the
    History section of its page (templates/history/recent.html)."""
    filters = Filters(**about, money=sees_money(organisation.user_role))
    page = history_page(organisation, filters, 1, per_page=RECENT)
    (name, pk), = about.items()
    return {
        "history_entries": page.object_list,
        "history_count": page.paginator.count,
        "history_query": f"?{name}={pk}",
        "can_restore": can_edit(organisation),
        "can_restore_settings": role_at_least(organisation.user_role, AccessRole.ADMIN),
        "back": request.get_full_path(),
    }
