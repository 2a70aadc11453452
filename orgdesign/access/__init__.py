"""Who may see and change what: the one place that decides it.

`policy` decides a login's role in a design (a scenario's from the live design it belongs to),
what a token sees, which designs may be compared and who sees a job; `bearer` reads the
`Authorization: Bearer` header into a token. Every page, API view, SCIM view, export and job
page asks these; none decides access by itself.
"""
