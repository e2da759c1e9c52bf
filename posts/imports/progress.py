"""How far an import has got, where people look.

On a terminal, tqdm bars. Anywhere else (a log file, ``nohup``, a process supervisor)
a plain line every few seconds, and one when each step is done, so a long import is
never silent for minutes.
"""

import sys
import time

from tqdm import tqdm

EVERY_SECONDS = 5.0


class Progress:
    def __init__(self, stream=None, *, every: float = EVERY_SECONDS, clock=time.monotonic):
        # Django's OutputWrapper adds a newline to every write; bars need the raw stream.
        self.stream = getattr(stream, "_out", stream) or sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.terminal = bool(isatty and isatty())
        self.every = every
        self.clock = clock

    def counter(self, *, total: int, desc: str, unit: str) -> "Counter":
        if self.terminal:
            return BarCounter(
                tqdm(total=total, desc=desc, unit=unit, file=self.stream, leave=False)
            )
        return LineCounter(self, total=total, desc=desc, unit=unit)

    def reading(self, raw, *, size: int, desc: str):
        """``raw`` (a binary file) whose reads advance a byte counter."""
        return CountingReader(raw, self.counter(total=size, desc=desc, unit="B"))

    def line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


class Counter:
    def update(self, n: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class BarCounter(Counter):
    def __init__(self, bar):
        self.bar = bar

    def update(self, n: int) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


class LineCounter(Counter):
    def __init__(self, progress: Progress, *, total: int, desc: str, unit: str):
        self.progress, self.total, self.desc, self.unit = progress, total, desc, unit
        self.done = 0
        self.started = self.last = progress.clock()

    def amount(self, n: int) -> str:
        if self.unit == "B":
            return f"{n / 1_000_000:.1f} MB"
        return f"{n:,} {self.unit}{'s' if n != 1 else ''}"

    def update(self, n: int) -> None:
        self.done += n
        now = self.progress.clock()
        if now - self.last < self.progress.every:
            return
        self.last = now
        share = f" ({100 * self.done // self.total}%)" if self.total else ""
        self.progress.line(
            f"{self.desc}: {self.amount(self.done)} of {self.amount(self.total)}{share}"
        )

    def close(self) -> None:
        seconds = self.progress.clock() - self.started
        self.progress.line(f"{self.desc}: done, {self.amount(self.done)} in {seconds:.0f} s")


class CountingReader:
    """A file whose reads count the bytes read; what lxml's parser reads from."""

    def __init__(self, raw, counter: Counter):
        self.raw, self.counter = raw, counter

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.counter.update(len(data))
        return data

    def close(self) -> None:
        self.counter.close()
