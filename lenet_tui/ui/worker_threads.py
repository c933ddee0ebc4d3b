"""An executor that gives every thread worker a thread of its own, which ends with the work.

Textual runs `@work(thread=True)` workers through asyncio's default executor, a thread pool
whose threads live on after their work. A thread that has run a parallel torch op keeps an
OpenMP thread pool for as long as it lives, and once more OpenMP threads exist than cores,
OpenMP stops spinning between parallel regions and puts its threads to sleep instead: on 2 cores,
one idle pool left behind by loading the data slowed training in another thread by about 15%.
A thread that ends takes its OpenMP pool with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class ThreadPerTask(ThreadPoolExecutor):
    """Run each submitted call in a new thread; `shutdown(wait=True)` joins those still running.

    A ThreadPoolExecutor only in name, as asyncio's `set_default_executor` requires; none of the
    pool's machinery is used.
    """

    def __init__(self, name: str = "worker") -> None:
        super().__init__(max_workers=1, thread_name_prefix=name)
        self._name = name
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._count = 0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()

        def run() -> None:
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn(*args, **kwargs)
                    except BaseException as exc:  # delivered to whoever awaits the future
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._count += 1
            thread = threading.Thread(target=run, name=f"{self._name}-{self._count}")
            self._threads.add(thread)
            thread.start()  # under the lock, so shutdown never sees a thread it cannot join
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            running = list(self._threads)
        if wait:
            for thread in running:
                thread.join()
