"""A command rate limit: a token bucket, refilled continuously."""

import time


class TokenBucket:
    __slots__ = ("_at", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._tokens = float(burst)
        self._at = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self) -> float:
        """0.0 if a command may go now, else the seconds until one may."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate

    def charge(self, n: int) -> None:
        """Spend ``n`` tokens taken elsewhere (on another node); the bucket may go into debt."""
        self._refill()
        self._tokens -= n
