"""Health over time: each design's health recorded daily, at promotions and merges, and
back-filled from history (`services.py`); the health page, its CSV and the design as it was
on a date (`views.py`, `as_of.py`), and the API's trend (`api.py`); the charts, drawn as SVG
on the server (`charts.py`)."""
