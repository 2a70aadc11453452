"""CSV in and out: reading and writing CSV safely (`format`), the streamed exports and who may
fetch them (`exports`), and the upload, preview and all-or-nothing apply shared by the roster
and matrix imports (`uploads`, `import_page`). What a row means is decided by the importers
(`teams/roster_import.py`, `pipelines/matrix_import.py`), which write through the services.
"""
