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


def _refuse() -> None:
    raise ValueError("cannot be rebuilt here")


class Unloadable:
    """Pickles, but does not unpickle."""

    def __reduce__(self) -> object:
        return (_refuse, ())


def _fail_unloadably(send: forked.Send) -> None:
    exc = LookupError("stopped at day 3")
    exc.detail = Unloadable()  # type: ignore[attr-defined]
    raise exc


def test_an_exception_that_does_not_unpickle_comes_back_as_a_runtime_error() -> None:
    # the parent would otherwise fail reading it, with the unpickling's error
    with pytest.raises(RuntimeError, match="LookupError: stopped at day 3"):
        forked.start(_fail_unloadably).wait(lambda m: None)


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


def test_run_all_gives_each_result_in_order_from_children_side_by_side() -> None:
    if not forked.can_fork():
        pytest.skip("this process cannot fork a child here (another thread, or one core)")

    def call(k: int) -> tuple[int, int, float, float]:
        began = time.monotonic()  # one clock for every process of the machine
        time.sleep(0.5)
        return k, os.getpid(), began, time.monotonic()

    results = forked.run_all([lambda k=k: call(k) for k in range(4)], at_once=2)
    assert [r[0] for r in results] == [0, 1, 2, 3]
    assert os.getpid() not in {r[1] for r in results} and len({r[1] for r in results}) == 4
    # the first two ran at once, and the third began only once one of them had ended
    (_, _, b0, e0), (_, _, b1, e1), (_, _, b2, _), _ = results
    assert b1 < e0 and b0 < e1
    assert b2 >= min(e0, e1)


def test_run_all_calls_them_here_where_it_cannot_fork() -> None:
    results = forked.run_all([lambda k=k: (k, os.getpid()) for k in range(3)], at_once=1)
    assert results == [(0, os.getpid()), (1, os.getpid()), (2, os.getpid())]
    assert forked.run_all([]) == []


def test_run_all_raises_the_first_failure_and_leaves_no_child() -> None:
    if not forked.can_fork():
        pytest.skip("this process cannot fork a child here (another thread, or one core)")

    def fail() -> None:
        raise ValueError("no figure")

    def slow() -> None:
        time.sleep(30)

    with pytest.raises(ValueError, match="no figure"):
        forked.run_all([fail, slow])
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every child was reaped: none is left running
