"""What benchmarks/load.py found after its run: the queue drained, the database and the
mail server read back through the app's own models, figures printed, failures listed."""

import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import faults

ROOT = Path(__file__).resolve().parent.parent
DRAIN_SECONDS = 300  # how long the worker gets to send what is queued after the load


def setup_django(database_url: str) -> None:
    os.environ.update(DATABASE_URL=database_url, DJANGO_ENV="development")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msblog.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def drain(worker: faults.Child) -> float:
    """Let the worker send what is still queued; seconds it took (the deadline if not)."""
    from django_tasks_db.models import DBTaskResult

    started = time.monotonic()
    while time.monotonic() < started + DRAIN_SECONDS:
        if worker.process.poll() is not None:
            worker.start()  # as its supervisor would
        if not DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists():
            break
        time.sleep(0.5)
    return time.monotonic() - started


def verify(results, mail: faults.MailSink, token, injected: faults.Faults) -> dict:
    """What the database and the mail server hold after the run, read through the app's
    own models."""
    from comments.models import Comment

    stored = defaultdict(list)
    for pk, body in Comment.objects.filter(body__contains="pending-").values_list("pk", "body"):
        stored[token.search(body)[1]].append(pk)
    accepted_ok = sum(stored.get(token) == [pk] for pk, token in results.accepted.items())
    confirmed = set(results.accepted.values()) | results.saved_earlier
    emailed = defaultdict(list)  # token: when each copy was accepted
    for body, accepted_at in zip(mail.bodies, mail.accepted_at, strict=True):
        for found in set(token.findall(body)):
            emailed[found].append(accepted_at)
    twice = [token for token in stored if len(emailed[token]) > 1]

    def tree():
        return list(Comment.objects.order_by("pk").values_list("tree_id", "lft", "rght", "level"))

    before = tree()
    Comment.objects.rebuild()
    return {
        "stored": sum(len(pks) for pks in stored.values()),
        "accepted and stored once": accepted_ok,
        "saved, then told so on a retry": len(results.saved_earlier & set(stored)),
        "duplicates": sum(len(pks) > 1 for pks in stored.values()),
        "stored but not confirmed": len(set(stored) - confirmed),
        "confirmed but not stored": len(confirmed - set(stored)),
        "still pending": Comment.objects.filter(
            body__contains="pending-", status=Comment.Status.PENDING
        ).count(),
        "emailed": sum(1 for token in stored if emailed[token]),
        "not emailed": sum(1 for token in stored if not emailed[token]),
        "emailed twice or more": len(twice),
        "of those, first sent as the worker was killed": sum(
            injected.killed_while_sending(min(emailed[token])) for token in twice
        ),
        "tree valid": tree() == before,
    }


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else 0


def report(args, elapsed, results, checks: dict, injected: faults.Faults) -> list:
    everything = [t for values in results.latencies.values() for t in values]
    fivexx = len(results.failures)
    mode = "with faults" if args.faults else "no faults"
    print(
        f"{args.database}: {args.readers} readers, {args.commenters} commenters, "
        f"{elapsed:.1f} s, {mode}"
    )
    for window in injected.windows:
        print(f"  fault: {window.cause}, {window.end - window.start:.1f} s")
    for skipped in injected.skipped:
        print(f"  fault skipped: {skipped}")
    print(f"requests: {len(everything)} ({len(everything) / elapsed:.1f}/s)")
    print(f"{'kind':<14} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, values in [("all", everything), *sorted(results.latencies.items())]:
        cells = [percentile(values, p) * 1000 for p in (50, 95, 99)]
        print(f"{kind:<14} {len(values):>7} " + " ".join(f"{c:>8.1f}" for c in cells))
    print(f"statuses: {dict(sorted(results.statuses.items()))}")
    by_cause = defaultdict(int)
    for moment, status, kind, _ in results.failures:
        by_cause[f"{injected.cause_at(moment)}: {status} {kind}"] += 1
    for moment, what in results.errors:
        by_cause[f"{injected.cause_at(moment)}: transport error {what.split(':')[0]}"] += 1
    print(f"5xx: {fivexx}; transport errors: {len(results.errors)}")
    for cause, count in sorted(by_cause.items()):
        print(f"  {cause}: {count}")
    print(
        f"comments accepted: {len(results.accepted)}; refused: {results.refused}; "
        f"forms sent again after a 503: {results.retried}"
    )
    for name, value in checks.items():
        print(f"{name}: {value}")
    print(f"commenters saw their own pending comment: {results.own_seen}/{len(results.accepted)}")
    print(f"reader pages scanned: {results.reader_pages}; leaks: {len(results.leaks)}")
    failures = []
    unexplained = [f for f in results.failures if injected.cause_at(f[0]) == "no fault"]
    if unexplained:
        failures.append(f"{len(unexplained)} responses were 5xx outside any fault")
    if any(status != 503 or not retry_after for _, status, _, retry_after in results.failures):
        failures.append("a 5xx other than 503 with Retry-After")
    if results.errors:
        failures.append(f"{len(results.errors)} requests failed: {results.errors[:3]}")
        failures.append(f"gunicorn said: {results.server_problems[-5:]}")
    if not results.accepted or results.refused:
        failures.append(f"{len(results.accepted)} comments accepted, {results.refused} refused")
    if checks["accepted and stored once"] != len(results.accepted) or checks["duplicates"]:
        failures.append("an accepted comment is missing or stored twice")
    if checks["stored but not confirmed"] or checks["confirmed but not stored"]:
        failures.append("comments stored that no response confirmed, or the reverse")
    in_flight = checks["of those, first sent as the worker was killed"]
    if checks["not emailed"] or checks["emailed twice or more"] > in_flight:
        failures.append("a stored comment's notice was not emailed exactly once")
    if not checks["tree valid"]:
        failures.append("the comment tree differs from a rebuilt one")
    if results.leaks:
        failures.append(f"readers saw pending comments: {results.leaks[:3]}")
    if results.own_seen != len(results.accepted):
        failures.append("a commenter did not see their own pending comment")
    return failures
