"""What every REST API view shares: bearer authentication and the organisation permission
(`auth`), the base views and schema (`views`), filters, the strict JSON parser and fields
(`parsers`, `strict`), ETags and `If-Match` (`etags`), and the URLconf that mounts the apps'
API modules (`urls`). The API's own resources live with their app (`teams/api.py`,
`pipelines/api.py`, `scenarios/api.py`...).
"""
