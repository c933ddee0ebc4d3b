"""Thread workers run in threads of their own that end with the work (see worker_threads)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from lenet_tui.ui.worker_threads import ThreadPerTask


def test_each_call_gets_a_new_thread_that_ends_with_it():
    executor = ThreadPerTask("t")
    seen: list[threading.Thread] = []

    def work(x: int) -> int:
        seen.append(threading.current_thread())
        return x * 2

    assert [executor.submit(work, i).result(timeout=10) for i in range(3)] == [0, 2, 4]
    assert len(set(seen)) == 3 and threading.main_thread() not in seen
    for thread in seen:
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_an_exception_reaches_the_caller():
    future = ThreadPerTask().submit(int, "not a number")
    with pytest.raises(ValueError, match="not a number"):
        future.result(timeout=10)


def test_shutdown_waits_for_running_work_then_refuses_more():
    executor = ThreadPerTask()
    release, done = threading.Event(), []
    executor.submit(lambda: (release.wait(10), done.append(True)))
    threading.Timer(0.05, release.set).start()
    executor.shutdown(wait=True)
    assert done == [True]
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(print)


def test_asyncio_accepts_it_as_the_default_executor():
    async def main() -> str:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPerTask("loop"))
        return await loop.run_in_executor(None, lambda: threading.current_thread().name)

    assert asyncio.run(main()).startswith("loop-")
