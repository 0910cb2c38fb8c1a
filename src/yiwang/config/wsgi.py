"""WSGI entry point: pages and API are served by gunicorn (see docs/architecture.md, Serving)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
application = get_wsgi_application()
