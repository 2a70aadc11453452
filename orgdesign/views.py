from django.db import connection
from django.http import HttpResponse, JsonResponse
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
