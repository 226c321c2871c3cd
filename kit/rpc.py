"""RPC with a time budget, inside services and from outside them.

nameko 2.14's service-to-service ``RpcProxy`` waits for ever for a reply;
``TimedRpcProxy`` gives every call a budget (``RPC_TIMEOUT`` seconds in the
container config unless given) and raises ``RpcTimeout`` when it runs out.
The request also expires in the broker after the same budget, so a service
that comes back later does not work through calls nobody waits for.

``ProxyPool`` serves callers outside nameko (gateway, CLI), with the same
budget and expiry: standalone cluster proxies read their replies on one connection and must not be shared
by concurrent green threads, so each call borrows one from the pool.

The budget travels (``kit.work``): each call of a ``ProxyPool`` puts the moment its caller stops waiting in
the context data; a service reads it with ``Budget`` and stops heavy work past it, and its own calls through
``TimedRpcProxy`` wait no longer than what is left of it.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.exceptions import RpcTimeout
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, ReplyListener, Rpc, RpcConsumer, RpcProxy, RpcReply, ServiceProxy
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy

import kit.errors  # noqa: F401 - registers the errors that cross RPC intact, for every caller
from kit.consumer import PromptQueueConsumer
from kit.work import DEADLINE_KEY, Deadline

RPC_TIMEOUT_KEY = "RPC_TIMEOUT"
DEFAULT_TIMEOUT = 10.0


class _PromptRpcConsumer(RpcConsumer):
    queue_consumer = PromptQueueConsumer()


class PromptRpc(Rpc):
    """nameko's ``@rpc`` entrypoint on a ``PromptQueueConsumer``: a service stops in a fraction of a second."""

    rpc_consumer = _PromptRpcConsumer()


rpc = PromptRpc.decorator


class _PromptReplyListener(ReplyListener):
    queue_consumer = PromptQueueConsumer()


class _TimedReply(RpcReply):
    def __init__(self, reply_event, timeout: float):
        super().__init__(reply_event)
        self.timeout = timeout

    def result(self):
        with eventlet.Timeout(self.timeout, RpcTimeout(self.timeout)):
            return super().result()


class _TimedMethodProxy(MethodProxy):
    def __init__(self, *args, timeout: float, **options):
        # The broker drops a request nobody waits for any more.
        options.setdefault("expiration", timeout)
        super().__init__(*args, **options)
        self.timeout = timeout

    def _call(self, *args, **kwargs):
        reply = super()._call(*args, **kwargs)
        return _TimedReply(reply.reply_event, self.timeout)


class _TimedServiceProxy(ServiceProxy):
    def __init__(self, *args, timeout: float, **options):
        super().__init__(*args, **options)
        self.timeout = timeout

    def __getattr__(self, name):
        return _TimedMethodProxy(
            self.worker_ctx, self.service_name, name, self.reply_listener, timeout=self.timeout, **self.options
        )


class TimedRpcProxy(RpcProxy):
    rpc_reply_listener = _PromptReplyListener()

    def __init__(self, target_service: str, timeout: float | None = None, **options):
        super().__init__(target_service, **options)
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        timeout = self.timeout or float(self.container.config.get(RPC_TIMEOUT_KEY, DEFAULT_TIMEOUT))
        left = Deadline.from_context(worker_ctx.data).remaining()
        if left is not None:
            timeout = max(min(timeout, left), 0.001)  # nobody waits for the answer beyond the caller's deadline
        return _TimedServiceProxy(
            worker_ctx, self.target_service, self.rpc_reply_listener, timeout=timeout, **self.options
        )


class Budget(DependencyProvider):
    """``self.budget``: the worker's ``kit.work.Deadline``, from the caller's context data (none if it sent none)."""

    def get_dependency(self, worker_ctx):
        return Deadline.from_context(worker_ctx.data)


class _ExpiringClusterProxy(ClusterProxy):
    def __init__(self, worker_ctx, reply_listener, expiration: float):
        super().__init__(worker_ctx, reply_listener)
        self._expiration = expiration

    def __getattr__(self, name):
        if name not in self._proxies:
            self._proxies[name] = ServiceProxy(
                self._worker_ctx, name, self._reply_listener, expiration=self._expiration
            )
        return self._proxies[name]


class _ExpiringClusterRpcProxy(ClusterRpcProxy):
    """A standalone cluster proxy whose requests expire in the broker with its timeout."""

    def __init__(self, config, timeout: float):
        super().__init__(config, timeout=timeout)
        self._proxy = _ExpiringClusterProxy(self._worker_ctx, self._reply_listener, timeout)


def _set_context(wrapper: ClusterRpcProxy, context: dict) -> None:
    # nameko 2.14's standalone proxy fixes its context data and call id when
    # built; a pooled proxy serves many callers, so each borrow gets the
    # caller's context and a fresh call id (nameko private attributes, pinned version).
    ctx = wrapper._worker_ctx
    data = dict(context)
    ctx._parent_call_id_stack = list(data.pop("call_id_stack", []))  # e.g. the gateway's request id
    ctx.data = data
    ctx._call_id = None
    ctx._call_id_stack = None


class ProxyPool:
    """A bounded pool of started standalone cluster proxies on one vhost."""

    def __init__(self, amqp_uri: str, timeout: float, size: int = 4, heartbeat: int = 15):
        self.config = {"AMQP_URI": amqp_uri, "HEARTBEAT": heartbeat}
        self.timeout = timeout
        self.size = size
        self._idle: LightQueue = LightQueue()
        self._created = 0
        self._lock = eventlet.semaphore.Semaphore(1)

    def _new(self):
        wrapper = _ExpiringClusterRpcProxy(self.config, self.timeout)
        return wrapper, wrapper.start()

    @contextmanager
    def proxy(self, context: dict | None = None):
        """Borrow a proxy; ``context`` is the context data its calls carry (the caller's identity)."""
        item = None
        try:
            item = self._idle.get_nowait()
        except Empty:
            with self._lock:
                if self._created < self.size:
                    self._created += 1
                    try:
                        item = self._new()
                    except Exception:
                        self._created -= 1
                        raise
            if item is None:
                item = self._idle.get()
        healthy = True
        context = dict(context or {})
        context.setdefault(DEADLINE_KEY, time.time() + self.timeout)  # when this caller stops waiting
        _set_context(item[0], context)
        try:
            yield item[1]
        except RpcTimeout:
            # A late reply could land on this proxy's queue and be read as the
            # answer to the next call: retire it.
            healthy = False
            raise
        except (OSError, ConnectionError):
            healthy = False
            raise
        finally:
            if healthy:
                self._idle.put(item)
            else:
                self._retire(item)

    def _retire(self, item):
        with self._lock:
            self._created -= 1
        try:
            item[0].stop()
        except Exception:
            pass

    def close(self):
        while True:
            try:
                self._retire(self._idle.get_nowait())
            except Empty:
                return
