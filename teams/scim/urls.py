"""SCIM 2.0 provisioning for identity providers, under /scim/v2/ (the views are the
`*_views` modules of this package).

Paths take an optional trailing slash; anything else under /scim/v2/ answers a SCIM 404.
"""

from django.urls import path, re_path

from teams.scim import discovery_views, group_views, search_views, user_views

urlpatterns = [
    path("", discovery_views.not_found, name="scim-root"),
    re_path(r"^ServiceProviderConfig/?$", discovery_views.service_provider_config,
            name="scim-service-provider-config"),
    re_path(r"^ResourceTypes/?$", discovery_views.resource_types, name="scim-resource-types"),
    re_path(r"^ResourceTypes/(?P<type_id>[^/]+)/?$", discovery_views.resource_type,
            name="scim-resource-type"),
    re_path(r"^Schemas/?$", discovery_views.schemas, name="scim-schemas"),
    re_path(r"^Schemas/(?P<schema_id>[^/]+)/?$", discovery_views.schema, name="scim-schema"),
    re_path(r"^Users/?$", user_views.users, name="scim-users"),
    re_path(r"^Users/\.search/?$", user_views.users_search, name="scim-users-search"),
    re_path(r"^Users/(?P<user_id>[^/]+)/?$", user_views.user, name="scim-user"),
    re_path(r"^Groups/?$", group_views.groups, name="scim-groups"),
    re_path(r"^Groups/\.search/?$", group_views.groups_search, name="scim-groups-search"),
    re_path(r"^Groups/(?P<group_id>[^/]+)/?$", group_views.group, name="scim-group"),
    re_path(r"^\.search/?$", search_views.search, name="scim-search"),
    re_path(r"^.*$", discovery_views.not_found),
]
