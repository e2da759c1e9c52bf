"""Hypothesis profiles and hostile-text strategies shared by the fuzz tests.

``ci`` (the default) keeps each property to a bounded number of examples so that
``make test`` stays quick; ``HYPOTHESIS_PROFILE=thorough`` runs many more by hand.
No deadline: an example's time depends on the database, not on the code under test.
"""

import contextlib
import os

from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

COMMON = {
    "deadline": None,
    # Each example runs inside the test's database fixture and undoes its own writes.
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("ci", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), **COMMON)
settings.register_profile("thorough", max_examples=2000, **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Characters that have broken comment systems: zero-width and joiners, bidirectional
# overrides and isolates, C0/C1 controls, NUL, line and paragraph separators, a BOM,
# combining marks, astral emoji, and markup.
SPECIALS = [
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
    "\u202a", "\u202b", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "\x00", "\x07", "\x08", "\x1b", "\x7f", "\x85", "\x9b",
    "\r", "\n", "\r\n", "\t", "\u2028", "\u2029", " ", "\u00a0",
    "e\u0301", "\u0336", "\U0001f600", "\U0001f469\u200d\U0001f52c", "\ufffd",
    "<script>alert(1)</script>", "&amp;", "&#0;", "\"'`", "{{ x }}", "{% x %}",
    "http://", "www.example.org", "a@b.c", "%00", "\\",
]  # fmt: skip

hostile_text = st.one_of(
    st.text(max_size=120),
    # Printable in the widest sense (no controls), so that much of it is accepted.
    st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=120),
    st.lists(st.one_of(st.sampled_from(SPECIALS), st.text(max_size=4)), max_size=25).map("".join),
    # Huge: around and far past the 10,000-character limit.
    st.builds(
        lambda piece, times: piece * times,
        st.sampled_from(["a", "ab ", "\u200b", "\U0001f600", "é\n"]),
        st.integers(min_value=2_000, max_value=30_000),
    ),
)


class Undo(Exception):
    pass


@contextlib.contextmanager
def rolled_back():
    """Run one example in a savepoint that is always rolled back, so examples start from
    the same database without recreating it."""
    try:
        with transaction.atomic():
            yield
            raise Undo
    except Undo:
        pass
