"""manage.py worker: run the queued tasks (the comment emails), surviving a lost database
and putting back the tasks of a worker that died (comments/worker.py).

It takes django-tasks-db's ``db_worker`` options (``--batch``, ``--interval``,
``--queue-name``, ``--max-tasks``, ``--worker-id`` …) except ``--reload``, and
``--running-timeout`` (default TASKS_RUNNING_TIMEOUT). Run it under a supervisor that
restarts it (README "Email").
"""

from django.conf import settings
from django_tasks_db.management.commands import db_worker

from comments.worker import Worker


class Command(db_worker.Command):
    help = "Run the task queue's worker: db_worker that survives database loss and dead workers"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--running-timeout",
            type=float,
            default=settings.TASKS_RUNNING_TIMEOUT,
            help="seconds after which a task still RUNNING is taken to have lost its "
            "worker and runs again (default: TASKS_RUNNING_TIMEOUT, %(default)s)",
        )

    def handle(self, *, verbosity, queue_name, exclude_queues, running_timeout, **options):
        self.configure_logging(verbosity)
        worker = Worker(
            running_timeout=running_timeout,
            queue_names=queue_name.split(","),
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        worker.configure_signals()
        worker.run()
