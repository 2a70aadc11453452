"""Response headers every answer gets (`SecurityHeadersMiddleware`):

- a Content-Security-Policy: scripts, styles, fonts, images and requests from this host only
  (every script is a vendored or project file: no inline script, no eval; htmx is told so in
  base.html's htmx-config). Styles may be inline: the org chart draws its boxes with style
  attributes. Nothing may frame the pages.
- `Cache-Control: private, no-store` on every answer to a logged-in browser or an API or SCIM
  token (pages, exports, JSON): org data is personal data, and no shared or local cache may
  keep it. Decided from the request's credentials (a session cookie, an Authorization
  header, a password posted to log in), so no query is made for it. Any POST counts: the
  login's answers (the form again, django-axes's 429 lockout) name the account tried, and no
  answer to a write is for a cache.

HSTS, the https redirect and secure cookies are Django's SecurityMiddleware and settings.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


STATIC_PREFIX = "/" + settings.STATIC_URL.lstrip("/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Static files are the same for everyone: let browsers keep them.
        if _has_credentials(request) and not request.path.startswith(STATIC_PREFIX):
            patch_cache_control(response, private=True, no_store=True)
            response.headers.pop("Expires", None)
        return response


def _has_credentials(request) -> bool:
    return bool(
        request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        or request.META.get("HTTP_AUTHORIZATION")
        # A login sends its password before any session exists.
        or request.method == "POST"
    )
