"""SIGINT and SIGTERM become a polite stop while training, and everything is restored after."""

from __future__ import annotations

import os
import signal

import pytest

from lenet_tui.runs.interrupts import StopOnSignals


class Target:
    stops = 0

    def request_stop(self) -> None:
        self.stops += 1


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_first_signal_asks_for_a_stop_and_the_old_handlers_come_back(signum):
    before = {s: signal.getsignal(s) for s in StopOnSignals.SIGNALS}
    target = Target()
    with StopOnSignals(target) as interrupts:
        os.kill(os.getpid(), signum)  # Python runs the handler before the next line
        assert target.stops == 1 and interrupts.received == signum
    assert {s: signal.getsignal(s) for s in StopOnSignals.SIGNALS} == before


def test_a_second_ctrl_c_interrupts_at_once():
    before = signal.getsignal(signal.SIGINT)
    target = Target()
    with pytest.raises(KeyboardInterrupt), StopOnSignals(target):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
    assert target.stops == 1
    assert signal.getsignal(signal.SIGINT) is before
