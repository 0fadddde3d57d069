"""A function in a forked child: its messages, its result, its failures, and stopping it."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from ecosim.core import forked

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="this system cannot fork")


def _count(n: int, send: forked.Send) -> list[int]:
    for i in range(n):
        send(i)
    return [os.getpid(), n]


def test_the_result_and_the_messages_come_back_in_order_from_another_process() -> None:
    child = forked.start(lambda send: _count(5000, send))
    seen: list[int] = []
    pid, n = child.wait(seen.append)  # type: ignore[misc]
    assert seen == list(range(5000))  # more than a pipe's buffer holds: read while written
    assert n == 5000 and pid == child.pid != os.getpid()
    assert child.done


def test_polling_hands_over_what_has_arrived_without_waiting() -> None:
    child = forked.start(lambda send: _count(3, send))
    seen: list[int] = []
    deadline = time.monotonic() + 60.0
    while not child.poll(seen.append, timeout=0.05):
        assert time.monotonic() < deadline
    assert seen == [0, 1, 2]
    assert child.wait(seen.append) == [child.pid, 3]
    assert seen == [0, 1, 2]


class Refused(ValueError):
    pass


def _fail(send: forked.Send) -> None:
    send("before")
    raise Refused("no such region 'XX'")


def test_the_childs_exception_is_raised_here_with_its_traceback() -> None:
    child = forked.start(_fail)
    seen: list[str] = []
    with pytest.raises(Refused, match="no such region 'XX'") as info:
        child.wait(seen.append)
    assert seen == ["before"]
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "in the child process" in notes and "_fail" in notes


class Unpicklable(Exception):
    def __reduce__(self) -> object:
        raise TypeError("cannot pickle this")


def _fail_oddly(send: forked.Send) -> None:
    raise Unpicklable("odd")


def test_an_exception_that_does_not_pickle_comes_back_as_a_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="Unpicklable: odd"):
        forked.start(_fail_oddly).wait(lambda m: None)


def _die(send: forked.Send) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_child_that_dies_without_a_result_is_reported() -> None:
    with pytest.raises(forked.ChildFailed, match="SIGKILL"):
        forked.start(_die).wait(lambda m: None)


def _forever(send: forked.Send) -> None:
    send("started")
    while True:
        time.sleep(0.01)


def test_a_cancelled_wait_kills_the_child_and_reaps_it() -> None:
    child = forked.start(_forever)
    seen: list[str] = []
    assert child.wait(seen.append, cancelled=lambda: bool(seen), interval=0.05) is None
    assert seen == ["started"] and child.done
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped: no zombie left behind


def test_killing_a_child_twice_or_after_its_end_is_harmless() -> None:
    child = forked.start(lambda send: _count(1, send))
    assert child.wait(lambda m: None) == [child.pid, 1]
    child.kill()
    child.kill()


def test_forking_is_refused_while_another_thread_runs() -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert not forked.can_fork()
    finally:
        release.set()
        worker.join()
