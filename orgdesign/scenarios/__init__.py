"""Scenarios of a design: copies to try changes on, compared and promoted.

`services` copies a design into a scenario, promotes one and deletes one (writes that span
`teams` and `pipelines`, so they live above both), inside one snapshot (`snapshot`). `fixes`
writes a remedy's changes through the services; `try_fix` makes a scenario with them. The doors:
`views` (scenarios and compare pages), `fix_views` (remedies and fix-all pages), `api` and
`fix_api`; `links` the addresses more than one of them links to.
"""
