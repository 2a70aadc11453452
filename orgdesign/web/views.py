from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """200 when the database answers; for load balancers and docker-compose."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "detail": str(error)}, status=503)
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page's <link rel="icon"> says."""
    return redirect(static("favicon.svg"), permanent=True)
