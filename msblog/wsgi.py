import os

from django.core.wsgi import get_wsgi_application

# An app server is production unless told otherwise; production settings refuse to start
# without SECRET_KEY and ALLOWED_HOSTS.
os.environ.setdefault("DJANGO_ENV", "production")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msblog.settings")

application = get_wsgi_application()
