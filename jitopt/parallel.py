"""Running independent pieces of work in this process, in local processes or on a Dask cluster.

    with Workers(jobs=2) as workers:          # or Workers(dask="tcp://host:8786")
        for result in workers.completed(fn, work):
            ...                               # in the order they finish

``fn`` must be a module-level function and ``work`` picklable: local processes are started with
``spawn`` (a fresh interpreter each; no fork of a process that runs HiGHS threads). One pool
serves every call of `completed` in the ``with`` block.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context

import numpy as np

DASK_TIMEOUT = 5  # seconds to reach a Dask scheduler before giving up


def check_jobs(jobs) -> int:
    """``jobs``, checked: ValueError unless a whole number >= 1."""
    if isinstance(jobs, bool) or not isinstance(jobs, (int, np.integer)) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs!r}")
    return int(jobs)


class DaskUnreachable(RuntimeError):
    """The Dask scheduler given with --dask cannot be reached."""


class Workers:
    """``jobs`` local processes (1: this process), or the Dask cluster at ``dask``."""

    def __init__(self, jobs: int = 1, dask: str | None = None):
        self.jobs, self.dask = jobs, dask
        self.pool = self.client = None

    def __enter__(self) -> Workers:
        if self.dask:
            self.client = dask_client(self.dask)
        elif self.jobs > 1:
            self.pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=get_context("spawn"), initializer=_ignore_sigint
            )
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    @property
    def inline(self) -> bool:
        """True when the work runs in this process."""
        return self.client is None and self.pool is None

    def completed(self, fn: Callable, work: Iterable) -> Iterator:
        """``fn(item)`` for each item of ``work``, yielded as each finishes; an error or an
        interruption cancels what has not started."""
        work = list(work)
        if self.inline or len(work) <= 1:
            for item in work:
                yield fn(item)
            return
        if self.client is not None:
            from distributed import as_completed as dask_completed

            futures = self.client.map(fn, work, pure=False)
            try:
                for future in dask_completed(futures):
                    yield future.result()
            except BaseException:
                self.client.cancel(futures)
                raise
            return
        pending = [self.pool.submit(fn, item) for item in work]
        try:
            for future in as_completed(pending):
                yield future.result()
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _ignore_sigint() -> None:
    """In a worker: Ctrl-C is for the main process, which cancels the work and shuts the pool
    down (a worker that got it too would die with a traceback of its own)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def dask_client(address: str):
    """A `distributed.Client` connected to ``address``; a clear error when the package is missing
    or the scheduler cannot be reached."""
    try:
        from distributed import Client
    except ImportError:
        raise RuntimeError(
            "--dask needs the distributed package: pip install distributed (or, from jitopt's "
            "folder, pip install '.[dask]')"
        ) from None
    try:
        return Client(address, timeout=DASK_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise DaskUnreachable(
            f"cannot reach the Dask scheduler at {address} within {DASK_TIMEOUT} s ({exc})"
        ) from None
