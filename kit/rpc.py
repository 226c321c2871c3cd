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
import uuid
from contextlib import contextmanager
from typing import Any

import amqp
import eventlet
from eventlet.queue import Empty, LightQueue
from kombu import Consumer, serialization
from kombu.common import maybe_declare
from nameko.constants import DEFAULT_SERIALIZER, RPC_EXCHANGE_CONFIG_KEY, SERIALIZER_CONFIG_KEY
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, ReplyListener, Rpc, RpcConsumer, RpcProxy, RpcReply, ServiceProxy
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy, PollingQueueConsumer, SingleThreadedReplyListener

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


class _ConfirmedPublisher:
    """RPC requests of one pooled proxy, on a channel of the connection its replies come in on.

    nameko's ``Publisher`` builds a kombu ``Connection`` and borrows a producer from kombu's global pool on every
    call, wraps the publish in a retry policy and sends a persistent message; a profile of the gateway put a
    quarter of its CPU per request there. This sends the same message (same exchange, routing key, serializer,
    headers, ``reply_to``, ``correlation_id``, expiration) in one ``basic.publish`` on a channel opened once, and
    keeps what nameko relies on: ``mandatory`` with a publisher confirm awaited, so that a request no queue takes
    (the service is not running) is known at once — the broker's ``basic.return`` comes before its ack — and is
    ``UnknownService``, as with nameko. The message is transient: a request expires with its caller's budget and
    its reply queue goes with the proxy, so writing it to disk would keep nothing anyone waits for (and a
    persistent message's confirm waits for the disk). A connection or channel error drops the channel (the pool
    retires the proxy on ``OSError``); the next call opens another.
    """

    def __init__(self, connection, timeout: float):
        self.connection = connection  # the reply listener's kombu connection
        self.timeout = timeout
        self.expiration = str(int(timeout * 1000))
        self._channel = None
        self._returned: list[str] = []

    def _open(self):
        channel = self.connection.channel()
        channel.events["basic_return"].add(self._on_return)
        self._channel = channel
        return channel

    def _on_return(self, exc, exchange, routing_key, message):
        # Recorded rather than raised: the ack that follows it is read, so the channel's confirms stay in step.
        self._returned.append(message.properties.get("correlation_id"))

    def publish(self, body: bytes, content_type: str, content_encoding: str, headers: dict, **properties) -> bool:
        """Publish one request and wait for its confirm; False when no queue took it."""
        channel = self._channel or self._open()
        message = amqp.Message(
            body,
            content_type=content_type,
            content_encoding=content_encoding,
            application_headers=headers,
            delivery_mode=1,
            priority=0,
            expiration=self.expiration,
            reply_to=properties["reply_to"],
            correlation_id=properties["correlation_id"],
        )
        self._returned.clear()
        try:
            channel.basic_publish_confirm(
                message,
                exchange=properties["exchange"],
                routing_key=properties["routing_key"],
                mandatory=True,
                confirm_timeout=self.timeout,
            )
        except BaseException:
            self.drop()
            raise
        return properties["correlation_id"] not in self._returned

    def drop(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            try:
                channel.close()
            except Exception:
                pass  # the connection may be gone with it


class _NoAckReplyConsumer(PollingQueueConsumer):
    """nameko's standalone reply consumer, taking replies without acknowledging each (a socket write per call).

    A reply queue belongs to one proxy and a reply is read once; a reply lost with the connection is one nobody
    could still read, since the pool retires a proxy on a connection error or a timeout.
    """

    consumer: Any = None
    queue: Any

    def _setup_consumer(self):
        # nameko 2.14's PollingQueueConsumer._setup_consumer with no_ack=True (pinned version).
        if self.consumer is not None:
            try:
                self.consumer.cancel()
            except OSError:
                pass  # the connection may already be gone
        channel = self.connection.channel()
        self.queue = self.queue.bind(channel)
        maybe_declare(self.queue, channel)
        consumer = Consumer(channel, queues=[self.queue], accept=self.accept, no_ack=True)
        consumer.callbacks = [self.on_message]
        consumer.consume()
        self.consumer = consumer

    def ack_message(self, msg):
        pass  # taken without acknowledgement


class _NoAckReplyListener(SingleThreadedReplyListener):
    def __init__(self, timeout=None):
        super().__init__(timeout=timeout)
        self.queue_consumer = _NoAckReplyConsumer(timeout=timeout)


class _PooledMethodProxy(MethodProxy):
    """nameko's method proxy, publishing through its pooled proxy's ``_ConfirmedPublisher``."""

    def __init__(self, worker_ctx, service_name, method_name, reply_listener, publisher: _ConfirmedPublisher):
        # MethodProxy.__init__ would build a nameko Publisher per call, unused here.
        self.worker_ctx, self.service_name, self.method_name = worker_ctx, service_name, method_name
        self.reply_listener = reply_listener
        self._publisher = publisher

    def _call(self, *args, **kwargs):
        config = self.container.config
        content_type, content_encoding, body = serialization.dumps(
            {"args": args, "kwargs": kwargs}, config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)
        )
        if isinstance(body, str):
            body = body.encode(content_encoding)
        correlation_id = str(uuid.uuid4())
        reply_event = self.reply_listener.get_reply_event(correlation_id)
        delivered = self._publisher.publish(
            body,
            content_type,
            content_encoding,
            self.get_message_headers(self.worker_ctx),
            exchange=config.get(RPC_EXCHANGE_CONFIG_KEY, "nameko-rpc"),
            routing_key=f"{self.service_name}.{self.method_name}",
            reply_to=self.reply_listener.routing_key,
            correlation_id=correlation_id,
        )
        if not delivered:
            self.reply_listener._reply_events.pop(correlation_id, None)
            raise UnknownService(self.service_name)
        return RpcReply(reply_event)


class _PooledServiceProxy(ServiceProxy):
    def __init__(self, worker_ctx, service_name, reply_listener, publisher: _ConfirmedPublisher):
        super().__init__(worker_ctx, service_name, reply_listener)
        self._publisher = publisher

    def __getattr__(self, name):
        return _PooledMethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, self._publisher)


class _PooledClusterProxy(ClusterProxy):
    def __init__(self, worker_ctx, reply_listener, publisher: _ConfirmedPublisher):
        super().__init__(worker_ctx, reply_listener)
        self._publisher = publisher

    def __getattr__(self, name):
        if name not in self._proxies:
            self._proxies[name] = _PooledServiceProxy(self._worker_ctx, name, self._reply_listener, self._publisher)
        return self._proxies[name]


class _PooledClusterRpcProxy(ClusterRpcProxy):
    """A standalone cluster proxy whose requests go out through a ``_ConfirmedPublisher`` and expire with its
    timeout."""

    def __init__(self, config, timeout: float):
        super().__init__(config, timeout=timeout, reply_listener_cls=_NoAckReplyListener)
        self.timeout = timeout
        self.publisher: _ConfirmedPublisher | None = None

    def start(self):
        super().start()  # the reply queue and its connection
        self.publisher = _ConfirmedPublisher(self._reply_listener.queue_consumer.connection, self.timeout)
        self._proxy = _PooledClusterProxy(self._worker_ctx, self._reply_listener, self.publisher)
        return self._proxy

    def stop(self):
        if self.publisher is not None:
            self.publisher.drop()
        super().stop()


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
        wrapper = _PooledClusterRpcProxy(self.config, self.timeout)
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
