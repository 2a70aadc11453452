"""The REST API (v1), its OpenAPI schema and docs, under /api/."""

urlpatterns: list = []
