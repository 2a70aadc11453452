"""SCIM 2.0 provisioning for identity providers, under /scim/v2/ (see teams/scim_views.py).

Paths take an optional trailing slash; anything else under /scim/v2/ answers a SCIM 404.
"""

from django.urls import path, re_path

from teams import scim_views

urlpatterns = [
    path("", scim_views.not_found, name="scim-root"),
    re_path(r"^ServiceProviderConfig/?$", scim_views.service_provider_config,
            name="scim-service-provider-config"),
    re_path(r"^ResourceTypes/?$", scim_views.resource_types, name="scim-resource-types"),
    re_path(r"^ResourceTypes/(?P<type_id>[^/]+)/?$", scim_views.resource_type,
            name="scim-resource-type"),
    re_path(r"^Schemas/?$", scim_views.schemas, name="scim-schemas"),
    re_path(r"^Schemas/(?P<schema_id>[^/]+)/?$", scim_views.schema, name="scim-schema"),
    re_path(r"^Users/?$", scim_views.users, name="scim-users"),
    re_path(r"^Users/\.search/?$", scim_views.users_search, name="scim-users-search"),
    re_path(r"^Users/(?P<user_id>[^/]+)/?$", scim_views.user, name="scim-user"),
    re_path(r"^Groups/?$", scim_views.groups, name="scim-groups"),
    re_path(r"^Groups/\.search/?$", scim_views.groups_search, name="scim-groups-search"),
    re_path(r"^Groups/(?P<group_id>[^/]+)/?$", scim_views.group, name="scim-group"),
    re_path(r"^\.search/?$", scim_views.search, name="scim-search"),
    re_path(r"^.*$", scim_views.not_found),
]
