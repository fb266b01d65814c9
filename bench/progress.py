"""What the benchmarks share to show that long work is alive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def ticking(desc: str, *, leave: bool = True) -> Iterator[None]:
    """A bar counting seconds while work that reports no progress of its own runs."""
    done = threading.Event()
    with tqdm(desc=desc, unit="s", bar_format="{desc}: {elapsed}", leave=leave) as bar:

        def tick() -> None:
            while not done.wait(0.5):
                bar.refresh()

        thread = threading.Thread(target=tick, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
