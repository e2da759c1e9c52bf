"""The task worker (``manage.py worker``): django-tasks-db's ``db_worker`` loop, made to
survive what kills it and to lose no task.

django-tasks-db 0.13 (the latest) leaves three gaps (its issue #5, "Unclean exits of the
worker leave tasks in limbo"):

* A database error outside a task (the connection killed, the database restarting)
  ends ``db_worker``. Here the loop waits for the database, with growing pauses, and
  carries on; a task whose outcome could not be recorded is put back in the queue.
* A task left RUNNING by a worker that died (killed, out of memory, the machine lost)
  stays RUNNING for ever. Here every worker puts such a task back in the queue once it
  has been running for TASKS_RUNNING_TIMEOUT seconds, longer than any task takes.
* A task that failed is never tried again. Here one that failed for a reason that
  passes (the database or the mail server unreachable, a timeout) is tried again after
  30 s, 1 min, 2 min … (at most an hour apart), MAX_ATTEMPTS times in all.

A task may therefore run more than once: the mail tasks send each email once all the
same (comments.delivery). Claiming, running and recording a task are django-tasks-db's
own (``Worker.run_task``, ``DBTaskResult.claim``).
"""

import contextlib
import datetime
import logging
import time

from django.db import DatabaseError, close_old_connections, connections
from django.db.utils import OperationalError
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from msblog.errors import DATABASE_DOWN

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# Errors that pass: the database or the mail server unreachable, refusing, timing out.
PASSING_ERRORS = (*DATABASE_DOWN, OSError)
FIRST_RETRY_SECONDS, LONGEST_PAUSE_SECONDS = 30, 3600


def retry_delay(attempts: int) -> float:
    return min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_PAUSE_SECONDS)


def put_back(task: DBTaskResult, *, was: str, delay: float, reason: str) -> bool:
    """Queue a claimed task again, under the same id (its mail claims are its own), or
    mark it failed after MAX_ATTEMPTS; only if its row is still ``was`` from this claim."""
    attempts = len(task.worker_ids)
    same_claim = DBTaskResult.objects.filter(pk=task.pk, status=was, started_at=task.started_at)
    if attempts >= MAX_ATTEMPTS:
        logger.error(
            "task %s (%s) failed %d times, giving up: %s", task.pk, task.task_path, attempts, reason
        )
        same_claim.update(status=TaskResultStatus.FAILED, finished_at=timezone.now())
        return False
    logger.warning(
        "task %s (%s) will run again in %.0f s (attempt %d failed: %s)",
        task.pk,
        task.task_path,
        delay,
        attempts,
        reason,
    )
    run_after = timezone.now() + datetime.timedelta(seconds=delay)
    ready = {"status": TaskResultStatus.READY, "run_after": run_after, "finished_at": None}
    return bool(same_claim.update(**ready))


def requeue_abandoned(timeout: float) -> int:
    """Tasks RUNNING for longer than ``timeout`` seconds lost their worker: queue them
    again at once. Returns how many."""
    cutoff = timezone.now() - datetime.timedelta(seconds=timeout)
    abandoned = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    reason = f"still running after {timeout:.0f} s, its worker is gone"
    return sum(
        put_back(task, was=TaskResultStatus.RUNNING, delay=0, reason=reason) for task in abandoned
    )


def failed_for_a_passing_reason(task: DBTaskResult) -> bool:
    if task.status != TaskResultStatus.FAILED or not task.exception_class_path:
        return False
    try:
        error = import_string(task.exception_class_path)
    except ImportError:
        return False
    return isinstance(error, type) and issubclass(error, PASSING_ERRORS)


class Worker(db_worker.Worker):
    def __init__(self, *, running_timeout: float, **options):
        super().__init__(**options)
        self.running_timeout = running_timeout
        self.next_sweep = 0.0  # time.monotonic() of the next look for abandoned tasks
        self.database_pause = 1.0

    def run(self) -> None:
        logger.info(
            "Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        while self.running:
            try:
                found, task = self.claim_next()
            except DATABASE_DOWN as error:
                self.wait_for_database(error)
                continue
            self.database_pause = 1.0
            if task is not None:
                self.run_task(task)
            elif found and self.batch:
                logger.info("No more tasks to run for worker_id=%s - exiting.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and task is None:
                time.sleep(self.interval)

    def claim_next(self) -> tuple[bool, DBTaskResult | None]:
        """(whether the queue could be read, the task claimed or None)."""
        close_old_connections()
        if time.monotonic() >= self.next_sweep:
            requeue_abandoned(self.running_timeout)
            self.next_sweep = time.monotonic() + min(60, max(1, self.running_timeout / 4))
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task = tasks.get_locked()
            except OperationalError as error:
                if is_locked_database_exception(error):  # SQLite busy: try again
                    return False, None
                raise
            if task is not None:
                task.claim(self.worker_id)
        return True, task

    def run_task(self, task: DBTaskResult) -> None:
        try:
            super().run_task(task)  # runs it and records SUCCESSFUL or FAILED
        except DATABASE_DOWN as error:
            # The database went away during the task: its outcome is unknown, so it runs
            # again as soon as the database is back.
            self.wait_for_database(error)
            reason = f"its outcome was not recorded: {error}"
            self.put_back_when_possible(task, was=TaskResultStatus.RUNNING, delay=0, reason=reason)
            return
        if failed_for_a_passing_reason(task):
            reason = task.traceback.strip().splitlines()[-1] if task.traceback else "failed"
            delay = retry_delay(len(task.worker_ids))
            self.put_back_when_possible(
                task, was=TaskResultStatus.FAILED, delay=delay, reason=reason
            )

    def put_back_when_possible(self, task: DBTaskResult, **how) -> None:
        while self.running:
            try:
                put_back(task, **how)
                return
            except DATABASE_DOWN as error:
                self.wait_for_database(error)
        # Stopping: the task stays as it is; if RUNNING, it is put back after the timeout.

    def wait_for_database(self, error: Exception) -> None:
        logger.warning(
            "worker %s lost the database (%s); trying again in %.0f s",
            self.worker_id,
            str(error).strip(),
            self.database_pause,
        )
        with contextlib.suppress(DatabaseError):
            connections.close_all()  # the next query opens a new connection
        time.sleep(self.database_pause)
        self.database_pause = min(self.database_pause * 2, 30)
