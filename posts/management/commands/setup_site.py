import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from posts.caching import content_changed
from posts.models import Post

FIXTURE = "fixtures/seed.json"
RESET_COMMAND = ".venv/bin/python manage.py changepassword"


class Command(BaseCommand):
    help = (
        "Prepare a development site: load the seed posts into an empty database and create "
        "an 'admin' superuser with a generated password, printed once, and the email "
        "address in ADMIN_EMAIL (or --email)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--email",
            default=None,
            help="The admin's email address, where moderation notices go (default: ADMIN_EMAIL).",
        )

    def handle(self, *args, username, email, **options):
        email = settings.ADMIN_EMAIL if email is None else email.strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(
                    f"ADMIN_EMAIL (or --email) is not an email address: {email!r}"
                ) from None
        if Post.objects.exists():
            self.stdout.write("Posts exist already; seed fixture not loaded.")
        else:
            call_command("loaddata", FIXTURE, verbosity=0)
            content_changed()  # a shared cache may hold pages from an earlier database
            self.stdout.write(f"Loaded {Post.objects.count()} seed posts from {FIXTURE}.")
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                f"A superuser exists already (reset a password with: {RESET_COMMAND})."
            )
            return
        password = secrets.token_urlsafe(18)
        User.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(
            self.style.WARNING(
                f"Created superuser {username!r} with password {password}\n"
                f"It is shown only this once; change it with: {RESET_COMMAND} {username}"
            )
        )
        if email:
            self.stdout.write(f"Moderation notices go to {email}.")
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"{username!r} has no email address, so notices of comments awaiting "
                    "moderation go to nobody. Give it one in the admin (Users), or run "
                    "setup_site on an empty database with ADMIN_EMAIL=you@example.org, or "
                    "list addresses in COMMENTS_MODERATOR_EMAILS."
                )
            )
