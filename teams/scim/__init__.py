"""SCIM 2.0 (RFC 7643, RFC 7644) for identity providers, under /scim/v2/: people as Users,
teams as Groups.

How the design maps onto SCIM (the contract is docs/design.md section 4):

- User: id = the person's id, userName = their login at the identity provider (`user_name`,
  any string unique in the organisation in any case; the email for people who never came
  through SCIM), externalId = external_id, displayName = name, name.givenName and
  name.familyName as sent, title, userType as sent (`user_type`; "Contractor", "Vendor",
  "External" and "Temp", in any case, make the person a contractor, any other value an
  employee; removing it makes a person who had one an employee, and a person who never had
  one keeps the `worker_type` another door gave them and is served without userType),
  active. emails (one "work" address) is served read only: the email is read from the emails
  a request sends, else from userName when it is one.
- Enterprise extension: employeeNumber is the external id as well (written only when the
  same request does not set externalId); department is the HR department as sent; manager is
  the solid-line manager: value = their id, $ref, and displayName when asked for with
  `attributes`.
- `active: false` deactivates a person, who stays served (with `active: false`) so the
  provider can re-enable them with `active: true`, as Entra ID and Okta do. DELETE also
  deactivates, and the person then answers 404 through SCIM (`Person.scim_deleted_at`); a
  POST with their externalId, or with their userName and no other externalId, brings them
  back. Either way the person stays in the design as someone who left.
- Group: a team. displayName = name, externalId as sent, members = its members SCIM serves
  (active or not). Teams created through SCIM are of kind "other" and people join them at
  100%: kinds and time splits belong to the design. A team engaged in a pipeline cannot be deleted.
- A PATCH path that names no attribute (or `password`) is refused (invalidPath); RFC
  attributes the design does not keep are accepted and dropped.

Identity providers bend the protocol in known ways; `patch.normalise_patch` and
`user_writes.user_values` absorb those quirks before the library validates (see their
docstrings).

What is where. This package re-exports nothing: import from its modules.

What people and teams are in SCIM (plain functions over scim2-models objects, no HTTP):

- `schemas`: the URNs, page limits and published resource models; the discovery resources
  (ServiceProviderConfig, ResourceTypes, Schemas).
- `payloads`: what requests are read with: request models, policy, `validated`, and the
  search parameters (filter, paging, attributes).
- `patch`: identity providers' quirks in PATCH (and POST/PUT) bodies normalised; PATCH applied.
- `users`: a person as a User, which people are served, ids, the manager a value names.
- `user_writes`: what a POST, PUT or PATCH of a User asks of a person (`UserWrite`).
- `groups`: a team as a Group, its members, and the people a written Group names.
- `filters`: SCIM filters as querysets over people and teams.
- `versions`: ETags of Users and Groups, If-Match and If-None-Match (on `orgdesign.api.etags`).
- `errors`: SCIM exceptions (405, 415), service refusals as SCIM errors, errors as responses.

The HTTP side:

- `responses`: application/scim+json answers and list responses.
- `endpoint`: the decorator every view wears (token, method, scope) and what views share
  about a request (JSON body, base URL, actor).
- `discovery_views`, `user_views`, `group_views`, `search_views`: the endpoints, function
  views.
- `urls`: the routes under /scim/v2/.
"""
