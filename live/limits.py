"""Abuse limits that hold across a user's connections, across an address's users, and
(with Redis) across nodes.

- **Commands**: each connection has its own bucket (``commands_per_second``); on top,
  every user and every client address has one bucket on this node shared by all its
  connections, so reconnecting or opening more connections buys nothing.
- **Across nodes**: each node shares what it counted per user and address a few times
  a second (``Usage``, the node's signal loop) and learns the cluster's count in the
  current one-second window; what the *other* nodes let a key do is charged to this
  node's bucket for it (which may go into debt). So the nodes' buckets for one user
  drain together, and across N nodes a user gets the limit plus what the nodes let
  through within one sharing interval (a quarter second) — not N times the limit.
- **Connections**: at most ``max_connections_per_user`` open at once per user on a
  node, and each address may open ``connections_per_address_per_minute``.
- **Rooms**: a caller (host or brand staff) attempts at most ``rooms_per_host_per_hour`` room
  creations an hour.
- **Community writes**: follows, unfollows and helpful marks, ``community_writes_per_minute``
  per user (shared across nodes like commands): each is a row in SQL, and a follow
  toggled in a loop costs the server and says nothing.
Every refusal is a ``RateLimited`` with ``retry_after_ms``.
"""

import time
from collections import Counter, deque

from live import metrics
from live.errors import RateLimited
from live.ratelimit import TokenBucket
from live.settings import Settings

WINDOW_MS = 1000  # the cross-node counting window
IDLE_SECONDS = 60.0  # buckets unused this long are forgotten (they are full again by then)


class _Buckets:
    """Token buckets by key, created on first use and dropped when idle."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[TokenBucket, float]] = {}

    def _used(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets[key][0] if key in self._buckets else TokenBucket(self.rate, self.burst)
        self._buckets[key] = (bucket, now)
        return bucket

    def take(self, key: str, now: float) -> float:
        return self._used(key, now).take()

    def charge(self, key: str, n: int, now: float) -> None:
        self._used(key, now).charge(n)

    def forget_idle(self, now: float) -> None:
        for key in [k for k, (_, used) in self._buckets.items() if now - used > IDLE_SECONDS]:
            del self._buckets[key]


class Limits:
    def __init__(self, settings: Settings) -> None:
        s = settings
        user_rate, user_burst = s.user_commands_per_second or s.commands_per_second, s.user_command_burst or s.command_burst
        self._users = _Buckets(user_rate, user_burst)
        self._unlimited = frozenset(s.unlimited_addresses)
        self._addresses = _Buckets(s.address_commands_per_second, s.address_command_burst)
        self._opens = _Buckets(s.connections_per_address_per_minute / 60, s.connections_per_address_per_minute)
        self._max_connections = s.max_connections_per_user
        self._rooms_per_hour = s.rooms_per_host_per_hour
        self._community = _Buckets(s.community_writes_per_minute / 60, s.community_writes_per_minute)
        self._open: Counter[str] = Counter()  # user -> connections open on this node
        self._rooms: dict[str, deque[float]] = {}  # creator -> when they created rooms, last hour
        self._counted: Counter[str] = Counter()  # since the last share, by "u:user" / "a:address" / "c:user"
        self._shared = {"u": self._users, "a": self._addresses, "c": self._community}  # key prefix -> its buckets
        self._window = -1  # the cross-node window the two below count in
        self._own: Counter[str] = Counter()  # this node's counts in it
        self._charged: Counter[str] = Counter()  # the other nodes' counts in it, already charged

    def connect(self, user: str, address: str) -> None:
        """A connection opens (raises RateLimited); pair with ``disconnect``."""
        now = time.monotonic()
        if address not in self._unlimited and (wait := self._opens.take(address, now)) > 0:
            metrics.RATE_LIMITED.labels("address_connections").inc()
            raise RateLimited("too many connections from this address", retry_after_ms=_ms(wait))
        if self._open[user] >= self._max_connections:
            metrics.RATE_LIMITED.labels("user_connections").inc()
            raise RateLimited(f"at most {self._max_connections} connections per user", retry_after_ms=5000)
        self._open[user] += 1

    def disconnect(self, user: str) -> None:
        self._open[user] -= 1
        if self._open[user] <= 0:
            del self._open[user]

    def command(self, user: str, address: str) -> None:
        """One command from this user at this address (raises RateLimited)."""
        now = time.monotonic()
        keys = ("u:" + user,) if address in self._unlimited else ("u:" + user, "a:" + address)
        user_wait, address_wait = self._users.take(user, now), 0.0 if len(keys) == 1 else self._addresses.take(address, now)
        if (wait := max(user_wait, address_wait)) > 0:
            metrics.RATE_LIMITED.labels("user" if user_wait >= address_wait else "address").inc()
            raise RateLimited("too many messages", retry_after_ms=_ms(wait))
        self._counted.update(keys)

    def room_created(self, creator: str) -> None:
        """A caller creates a room (raises RateLimited past the hourly cap)."""
        now = time.monotonic()
        recent = self._rooms.setdefault(creator, deque())
        while recent and now - recent[0] > 3600:
            recent.popleft()
        if len(recent) >= self._rooms_per_hour:
            metrics.RATE_LIMITED.labels("rooms").inc()
            raise RateLimited(f"at most {self._rooms_per_hour} rooms per hour", retry_after_ms=_ms(3600 - (now - recent[0])))
        recent.append(now)

    def community_write(self, user: str) -> None:
        """A follow, unfollow or helpful mark by this user (raises RateLimited)."""
        if (wait := self._community.take(user, time.monotonic())) > 0:
            metrics.RATE_LIMITED.labels("community").inc()
            raise RateLimited("too many follows or helpful marks; try again later", retry_after_ms=_ms(wait))
        self._counted["c:" + user] += 1

    def take_counts(self) -> dict[str, int]:
        """What this node counted since the last call, to share with the other nodes."""
        self._turn_window()
        counted, self._counted = self._counted, Counter()
        self._own.update(counted)
        return dict(counted)

    def apply_totals(self, totals: dict[str, int]) -> None:
        """The cluster's counts in the current window: charge what the other nodes allowed."""
        self._turn_window()
        now = time.monotonic()
        for key, total in totals.items():
            others = total - self._own[key]
            if (new := others - self._charged[key]) > 0:
                self._shared[key[0]].charge(key[2:], new, now)
                self._charged[key] = others
        for b in (self._users, self._addresses, self._opens, self._community):
            b.forget_idle(now)

    def _turn_window(self) -> None:
        window = int(time.time() * 1000) // WINDOW_MS
        if window != self._window:
            self._window, self._own, self._charged = window, Counter(), Counter()


def _ms(seconds: float) -> int:
    return int(seconds * 1000) + 1
