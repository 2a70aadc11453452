"""Sample organisations: the demo design that `manage.py seed_demo` loads (`demo`)."""
