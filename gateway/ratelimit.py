"""Per-identity rate limits: in memory for one gateway, in Redis for every replica at once.

Both allow ``PASSERELLE_RATE_BURST`` requests at once and ``PASSERELLE_RATE_PER_SECOND`` sustained per
token subject (429 beyond, with ``Retry-After``: the whole seconds until the next request would be taken).

* ``LocalLimiter`` (the embedded default): a token bucket per identity in this process. Two replicas
  would each give a client its full limit.
* ``SharedLimiter`` (``PASSERELLE_RATE_LIMIT_URL=redis://host:port/db``): one limit shared by every
  replica, kept in Redis with GCRA (the generic cell rate algorithm: one stored number per identity, the
  theoretical arrival time). The decision is one Lua script, so it is atomic however many replicas ask
  at the same time, and it reads Redis's own clock (``TIME``), so replicas whose clocks drift agree.
  Keys are ``PASSERELLE_RATE_LIMIT_PREFIX`` (``passerelle:rate:``) followed by a hash of the subject
  (no staff identifier in Redis) and expire once their bucket is full again.

  **When Redis does not answer** (200 ms budget per call, ``PASSERELLE_RATE_LIMIT_TIMEOUT`` in seconds) the
  gateway *fails open to its local bucket*:
  each replica goes on limiting on its own, as without Redis, so the API stays up for the Missions'
  staff and a client gets at most its limit times the number of replicas until Redis is back. After a
  failure Redis is left alone for 5 s (so a dead Redis costs no request 200 ms), then tried again. Each
  switch is logged once (``rate limit store unreachable`` / ``back``).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from kit.config import ConfigError

log = logging.getLogger(__name__)

# GCRA in one step. KEYS[1]: the identity's key. ARGV[1]: microseconds between requests at the sustained
# rate; ARGV[2]: the burst. Answers {allowed (0/1), microseconds until the next request would be allowed}.
GCRA = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, 0}
"""
REDIS_TIMEOUT = 0.2
PAUSE_AFTER_FAILURE = 5.0


class LocalLimiter:
    """A token bucket per identity, in this process."""

    MAX_IDENTITIES = 10_000

    def __init__(self, per_second: float, burst: int):
        self.per_second, self.burst = per_second, burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, who: str) -> bool:
        return self.wait(who) == 0

    def wait(self, who: str) -> float:
        """0 when ``who`` may go on (one request taken), else the seconds until it may."""
        now = time.monotonic()
        if len(self.buckets) > self.MAX_IDENTITIES:
            # Forget the full buckets (identities quiet for a while): memory stays bounded.
            horizon = self.burst / self.per_second if self.per_second > 0 else 0
            self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < horizon}
        tokens, at = self.buckets.get(who, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.per_second)
        if tokens < 1:
            self.buckets[who] = (tokens, now)
            return (1 - tokens) / self.per_second if self.per_second > 0 else float("inf")
        self.buckets[who] = (tokens - 1, now)
        return 0


class SharedLimiter:
    """GCRA in Redis, shared by every replica; the local bucket while Redis does not answer."""

    def __init__(
        self, url: str, per_second: float, burst: int, prefix: str = "passerelle:rate:", timeout: float = REDIS_TIMEOUT
    ):
        import redis  # only a gateway configured with a shared store needs the client

        try:
            self.redis = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        except ValueError as exc:
            raise ConfigError(f"PASSERELLE_RATE_LIMIT_URL is not a Redis URL: {exc}") from None
        self.script = self.redis.register_script(GCRA)
        self.errors = (redis.RedisError, OSError)
        # Microseconds between requests at the sustained rate (a rate of 0: no refill within any horizon).
        self.interval = math.ceil(1_000_000 / per_second) if per_second > 0 else 10**15 // max(burst, 1)
        self.burst = burst
        self.prefix = prefix
        self.local = LocalLimiter(per_second, burst)
        self.paused_until = 0.0

    def key(self, who: str) -> str:
        return self.prefix + hashlib.sha256(who.encode()).hexdigest()[:32]

    def allow(self, who: str) -> bool:
        return self.wait(who) == 0

    def wait(self, who: str) -> float:
        """0 when ``who`` may go on (one request taken), else the seconds until it may."""
        if time.monotonic() < self.paused_until:
            return self.local.wait(who)
        try:
            allowed, wait_us = self.script(keys=[self.key(who)], args=[self.interval, self.burst])
        except self.errors as exc:
            if not self.paused_until:
                log.warning(
                    "rate limit store unreachable (%s): each gateway replica limits on its own", type(exc).__name__
                )
            self.paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
            return self.local.wait(who)
        if self.paused_until:
            log.warning("rate limit store back: the limit is shared again")
            self.paused_until = 0.0
        return 0 if allowed else max(int(wait_us), 1) / 1_000_000


def from_env(env) -> LocalLimiter | SharedLimiter:
    per_second = float(env.get("PASSERELLE_RATE_PER_SECOND", 50))
    burst = int(env.get("PASSERELLE_RATE_BURST", 100))
    url = env.get("PASSERELLE_RATE_LIMIT_URL", "").strip()
    if url:
        return SharedLimiter(
            url,
            per_second,
            burst,
            env.get("PASSERELLE_RATE_LIMIT_PREFIX", "passerelle:rate:"),
            float(env.get("PASSERELLE_RATE_LIMIT_TIMEOUT", REDIS_TIMEOUT)),
        )
    return LocalLimiter(per_second, burst)
