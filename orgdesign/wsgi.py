import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings")

from orgdesign.production import refuse_unfit_key  # noqa: E402 - needs the settings module

refuse_unfit_key()
application = get_wsgi_application()
