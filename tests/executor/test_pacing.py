from executor.pacing import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_requests_are_spaced_at_the_rate() -> None:
    clock = Clock()
    pacer = Pacer(rate=100, burst=1, clock=clock)
    waits = [pacer.reserve() for _ in range(5)]
    assert waits == [0.0, 0.01, 0.02, 0.03, 0.04]


def test_no_one_second_window_exceeds_rate_plus_burst() -> None:
    clock = Clock()
    pacer = Pacer(rate=145, clock=clock)
    send_times = []
    for _ in range(600):
        wait = pacer.reserve()
        send_times.append(clock.now + wait)
    for start in range(100, 104):
        assert sum(start <= t < start + 1 for t in send_times) <= 145 + pacer.burst


def test_a_pause_holds_requests_back_and_builds_no_credit() -> None:
    clock = Clock()
    pacer = Pacer(rate=100, burst=5, clock=clock)
    pacer.pause(1.0)
    assert pacer.reserve() >= 1.0
    clock.now += 3.0  # long after the pause: the bucket refills to its burst only
    waits = [pacer.reserve() for _ in range(7)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] > 0
