import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from posts.caching import content_changed
from posts.models import Post

FIXTURE = "fixtures/seed.json"


class Command(BaseCommand):
    help = (
        "Prepare a development site: load the seed posts into an empty database and create "
        "an 'admin' superuser with a generated password, printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        if Post.objects.exists():
            self.stdout.write("Posts exist already; seed fixture not loaded.")
        else:
            call_command("loaddata", FIXTURE, verbosity=0)
            content_changed()  # a shared cache may hold pages from an earlier database
            self.stdout.write(f"Loaded {Post.objects.count()} seed posts from {FIXTURE}.")
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "A superuser exists already (reset a password with: manage.py changepassword)."
            )
            return
        password = secrets.token_urlsafe(18)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.WARNING(
                f"Created superuser {username!r} with password {password}\n"
                "It is shown only this once; change it with: manage.py changepassword "
                f"{username}"
            )
        )
