"""SCIM 2.0 provisioning for identity providers, under /scim/v2/."""

urlpatterns: list = []
