"""What every role of the Redis backend shares: the client, key names, scripts, errors.

Error translation lives here and only here: :class:`Role` wraps every protected
coroutine of its subclasses so that a lost or timed-out connection surfaces as
:class:`~pywry.errors.BackendUnavailableError` (naming the masked URL) and any other
Redis failure as :class:`~pywry.errors.BackendError`.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pywry.errors import BackendError, BackendUnavailableError
from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["Keys", "Link", "Role", "mask_url", "ttl_ms"]

P = ParamSpec("P")
T = TypeVar("T")

#: Seconds to wait for a TCP connect or a reply before calling Redis unavailable.
SOCKET_TIMEOUT = 5.0
#: Seconds a caller waits for a free pooled connection when all are busy.
POOL_WAIT = 10.0

_SCRIPTS = (
    "append",
    "claim",
    "index_add",
    "index_has",
    "index_live",
    "index_remove",
    "widget_put",
    "widget_remove",
    "widget_touch",
)


def mask_url(url: str) -> str:
    """``url`` with any password (in the userinfo or the query) replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def ttl_ms(ttl: float) -> int:
    """A TTL in whole milliseconds, never zero."""
    return max(1, math.ceil(ttl * 1000))


@dataclass(frozen=True)
class Keys:
    """Every key and channel name the backend uses; see ``docs/redis.md``."""

    prefix: str

    def widget(self, widget_id: str) -> str:
        return f"{self.prefix}:widget:{widget_id}"

    @property
    def widgets_active(self) -> str:
        return f"{self.prefix}:widgets:active"

    @property
    def widgets_expiry(self) -> str:
        return f"{self.prefix}:widgets:expiry"

    def session(self, session_id: str) -> str:
        return f"{self.prefix}:session:{session_id}"

    def connection(self, connection_id: str) -> str:
        return f"{self.prefix}:conn:{connection_id}"

    def owner(self, widget_id: str) -> str:
        return f"{self.prefix}:owner:{widget_id}"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers:alive"

    def log(self, widget_id: str) -> str:
        return f"{self.prefix}:log:{widget_id}"

    def seq(self, widget_id: str) -> str:
        return f"{self.prefix}:seq:{widget_id}"

    def appended(self, widget_id: str) -> str:
        return f"{self.prefix}:appended:{widget_id}"

    def claim(self, key: str) -> str:
        return f"{self.prefix}:claim:{key}"

    def blob(self, blob_id: str, index: int) -> str:
        return f"{self.prefix}:blob:{blob_id}:{index}"

    @property
    def signing_key(self) -> str:
        return f"{self.prefix}:files:signing-key"

    def bus(self, channel: str) -> str:
        return f"{self.prefix}:bus:{channel}"

    def channel_of(self, bus_name: str) -> str:
        """The bus channel name without the prefix."""
        return bus_name.removeprefix(f"{self.prefix}:bus:")


def _load_scripts(redis: Redis) -> dict[str, AsyncScript]:
    here = files(__package__ or "pywry_state_redis")
    lib = here.joinpath("_redis_lib.lua").read_text(encoding="utf-8")
    return {
        name: redis.register_script(
            lib + "\n" + here.joinpath(f"_redis_{name}.lua").read_text(encoding="utf-8")
        )
        for name in _SCRIPTS
    }


class Link:
    """One backend instance's connection to Redis: a bounded command pool, a separate
    pool for pub/sub connections (one per open subscription), key names and scripts.
    """

    def __init__(self, url: str, prefix: str, pool_size: int) -> None:
        self.url = url
        self.masked_url = mask_url(url)
        self.keys = Keys(prefix)
        self.pool_size = pool_size
        self.client_name = f"pywry:{prefix}"
        options: dict[str, Any] = {
            "decode_responses": True,
            "socket_timeout": SOCKET_TIMEOUT,
            "socket_connect_timeout": SOCKET_TIMEOUT,
            "socket_keepalive": True,
            "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
        }
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=pool_size,
            timeout=POOL_WAIT,
            client_name=self.client_name,
            **options,
        )
        self.redis = Redis(connection_pool=pool)
        bus_pool = ConnectionPool.from_url(url, client_name=f"{self.client_name}:bus", **options)
        self.bus_redis = Redis(connection_pool=bus_pool)
        self.scripts = _load_scripts(self.redis)
        # File chunks are bytes: their own small pool, without decoding.
        raw_pool = BlockingConnectionPool.from_url(
            url,
            max_connections=pool_size,
            timeout=POOL_WAIT,
            client_name=f"{self.client_name}:files",
            **{**options, "decode_responses": False},
        )
        self.raw = Redis(connection_pool=raw_pool)

    def unavailable(self, exc: BaseException) -> BackendUnavailableError:
        """The error callers see when Redis cannot be reached."""
        return BackendUnavailableError(
            f"Redis at {self.masked_url} is unavailable ({type(exc).__name__}: {exc}). "
            "PyWry reconnects by itself once Redis answers again."
        )

    def failed(self, exc: RedisError) -> BackendError:
        """The error callers see when Redis answers with an error."""
        return BackendError(f"Redis at {self.masked_url} failed: {type(exc).__name__}: {exc}")

    async def aclose(self) -> None:
        await self.bus_redis.aclose(close_connection_pool=True)
        await self.raw.aclose(close_connection_pool=True)
        await self.redis.aclose(close_connection_pool=True)


def _translating(
    method: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[T]]:
    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise _link_of(args).unavailable(exc) from exc
        except RedisError as exc:
            raise _link_of(args).failed(exc) from exc

    return wrapper


def _link_of(args: tuple[Any, ...]) -> Link:
    link: Link = args[0].link
    return link


class Role:
    """Base of the role objects: holds the :class:`Link` and translates Redis errors
    raised by every protected coroutine a subclass defines (``_get``, ``_put``, ...).
    """

    def __init__(self, link: Link) -> None:
        self.link = link

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if (
                name.startswith("_")
                and not name.startswith("__")
                and inspect.iscoroutinefunction(value)
            ):
                setattr(cls, name, _translating(value))
