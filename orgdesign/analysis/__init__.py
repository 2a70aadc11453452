"""The analysis of a design: every rule that judges an organisation, in one place.

Pure functions over plain lists (`orgdata.OrgData`), which `loader.load_org_data` fetches in a
fixed number of queries. Nothing here queries the database or knows about requests; the doors
(views, API, SCIM, CSV) load a design, call these functions and show the result. The package
imports only the models.
"""
