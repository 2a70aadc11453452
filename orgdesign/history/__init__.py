"""Reading a design's history and restoring from it.

`services` reads every history table of a design as one list (who changed what, through which
door, the values before and after) and restores an entry through the ordinary services; `views`
is the history page and its restore; `sections` the History section of the person, team and
pipeline pages. Recording is done where the writes are (`teams/history.py`).
"""
