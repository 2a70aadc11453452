"""What the htmx-aware views share."""


def wants_fragment(request) -> bool:
    """An htmx request swaps one fragment; restoring history after a reload needs the page."""
    return bool(request.htmx) and not request.htmx.history_restore_request
