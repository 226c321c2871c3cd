"""One shape for every RPC of a service: authorise, load, check references, one transaction, one use case.

An RPC is one method: its spec in ``@entrypoint``, which also makes it a nameko RPC (``kit.rpc.rpc``), and a
body that calls one use case of the service's ``application.py``::

    @entrypoint("employer.register", payload=schemas.EmployerIntakeSchema, answer=schemas.EmployerSchema)
    def register(self, payload):
        return app.register(*self.unit, payload)

``@entrypoint`` runs the same steps for every RPC, in this order:

1. **authorise** the caller for the policy action (``kit.actor``; ``Forbidden`` before anything else). An
   action that depends on what is sent (a note's kind) is a function of the loaded arguments, which are
   then loaded first;
2. **load** each argument named in the spec: through a marshmallow schema (``kit.inputs.load``: field-level
   ``ValidationFailed``), or through a function that returns the checked value or raises;
3. **check references** to other services' records (``refs``: a function of the loaded arguments giving
   ``kit.references.Ref``s), before any transaction opens: the owners are asked by RPC
   (``kit.references.rpc_lookup``, through the service's ``TimedRpcProxy`` named after each owner), and a
   write lock is never held while waiting for them;
   A use case that needs another service's answer, not just a yes or no (``consult``: a function of the
   service and the loaded arguments, e.g. matching's explanation of what a person lacks), asks it here too,
   under the proxy's budget, and finds the answer in ``self.unit.consulted``;
4. open **one transaction** (``db.transaction()``), or a read-only session for ``reads=True``, and run the
   body with ``self.unit`` (``Unit``) bound to it: the session, the actor, the clock and the events' source,
   in the order every use case takes them (``app.register(*self.unit, payload)``). With ``session=False``
   nothing is opened (``self.unit.session`` is None): the body hands ``self.db`` to code that opens its own
   sessions (the agency replay, rekeying in batches, reporting's cached facts and its heavy tables, which
   must not hold a transaction while they compute);
5. if the body returns an ``Outcome``, add its **events to the outbox** in that transaction
   (``kit.application.to_outbox``), so the change and its events commit together;
6. **answer**: dump the value through the output schema (a class or an instance), or call the answer
   function with the session and the value; without ``answer`` the value is the answer.

An event handler has the same shape: ``@once(ContractClass)`` makes the method the handler of the class's
event type (``kit.consumer.event_handler``, from ``source``), loads the event's data through the contract
class (``contracts.catalogue.load``: an event outside the contract fails before the inbox is touched),
applies it at most once (``db.once``: an event already applied runs nothing), with ``self.unit`` bound to
that transaction (no actor: an event is nobody's call), and adds the events the body returns to the outbox
in that transaction. A handler that takes its events in batches is declared with ``event_handler`` itself.
A timer that sets the due counts is ``due_timer(due_counts)``.

A refusal at any step leaves nothing written. The method keeps its own signature (nameko checks every call
against it) and its docstring; what the RPC does is the use case its body calls.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from marshmallow import Schema
from nameko.timer import timer
from sqlalchemy.orm import Session

from contracts.catalogue import load as load_event
from kit import inputs, metrics
from kit.actor import Actor
from kit.application import Clock, Outcome, to_outbox
from kit.consumer import event_handler
from kit.references import OWNERS, Ref, check, rpc_lookup
from kit.rpc import rpc

F = TypeVar("F", bound=Callable[..., Any])
# How an argument is loaded: a marshmallow schema (class or instance), or a function of the value sent.
Loader = type[Schema] | Schema | Callable[[Any], Any]
# How the value becomes the answer: a marshmallow schema (class or instance), or a function of (session, value).
Answer = type[Schema] | Schema | Callable[[Session | None, Any], Any]


@dataclass(frozen=True)
class Unit:
    """One entrypoint call's unit of work: iterating it gives what every use case takes first.

    ``app.x(*self.unit, ...)`` is ``app.x(session, actor, clock, source, ...)``; a use case that takes less
    names what it takes (``self.unit.session``). ``action`` is the policy action the caller was authorised
    for (the audit trail names it).
    """

    session: Session | None  # None in an entrypoint declared with ``session=False``
    actor: Actor | None
    clock: Clock
    source: str
    action: str
    consulted: Any = None  # what ``consult`` answered, asked before the transaction opened

    def __iter__(self) -> Iterator[Any]:
        return iter((self.session, self.actor, self.clock, self.source))


def entrypoint(
    action: str | Callable[..., str],
    *,
    answer: Answer | None = None,
    refs: Callable[..., Iterable[Ref]] | None = None,
    reads: bool = False,
    session: bool = True,
    args: type[Schema] | Schema | None = None,
    consult: Callable[..., Any] | None = None,
    **load: Loader,
) -> Callable[[F], F]:
    """One RPC, registered with nameko: its policy ``action``, how each named argument is ``load``-ed (or
    ``args``: all of them at once, through one schema whose fields are the arguments' names), the references
    it names (``refs``), whether it only ``reads`` (no transaction) or opens no ``session`` at all, and how
    its value becomes the ``answer``.

    ``action`` and ``refs``, when functions, are called with the loaded arguments by name; ``consult`` with the
    service and the loaded arguments by name, before any transaction opens (no write lock held while another
    service answers).
    """

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)
        unknown = set(load) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{fn.__qualname__}: no argument named {', '.join(sorted(unknown))} to load")

        @functools.wraps(fn)
        def run(self: Any, *positional: Any, **named: Any) -> Any:
            call = signature.bind(self, *positional, **named)
            call.apply_defaults()
            arguments = call.arguments

            def given() -> dict[str, Any]:
                return {name: value for name, value in arguments.items() if name != "self"}

            if callable(action):
                _load(arguments, load, args)
                doing = action(**given())
                actor = self.caller.authorize(doing)
            else:
                doing = action
                actor = self.caller.authorize(doing)
                _load(arguments, load, args)
            if refs is not None:
                referred = list(refs(**given()))
                owners = {OWNERS[ref.kind][0] for ref in referred}
                check(referred, rpc_lookup({owner: getattr(self, owner) for owner in owners}))
            consulted = consult(self, **given()) if consult is not None else None
            opened: AbstractContextManager[Session | None]
            if not session:
                opened = nullcontext()
            else:
                opened = self.db.session() if reads else self.db.transaction()
            with opened as unit_session:
                self.unit = Unit(unit_session, actor, self.clock, self.site.source, doing, consulted)
                try:
                    value = fn(*call.args, **call.kwargs)
                    if isinstance(value, Outcome):
                        if unit_session is None:
                            raise TypeError(f"{fn.__qualname__}: an Outcome's events need a session")
                        value = to_outbox(unit_session, value)
                    return _answer(answer, unit_session, value)
                finally:
                    del self.unit

        run.__signature__ = signature  # type: ignore[attr-defined]  # nameko checks each call against it
        return rpc(run)

    return decorate


def once(*contract: type, source: str = "internal") -> Callable[[F], F]:
    """An event handler of each of ``contract``'s event types (published to ``source``): its body applied to
    the event's data, loaded as one of ``contract``'s classes, at most once."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def run(self: Any, event: Any) -> None:
            data: Any = load_event(event, contract)
            with self.db.once(event) as session:
                if session is None:
                    return
                self.unit = Unit(session, None, self.clock, self.site.source, "")
                try:
                    value = fn(self, data)
                    if isinstance(value, Outcome):
                        to_outbox(session, value)
                finally:
                    del self.unit

        for kind in contract:
            event_handler(kind.TYPE, source=source)(run)  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate


def due_timer(due_counts: Callable[..., dict[tuple[str, str], int]]) -> Callable[[Any], None]:
    """A timer entrypoint setting ``passerelle_due_items`` from ``due_counts(session, today)`` every
    ``metrics.DUE_INTERVAL`` seconds, at start too (``ServiceBase.count_due``)."""

    def measure_due(self: Any) -> None:
        self.count_due(due_counts)

    return cast(Callable[[Any], None], timer(interval=metrics.DUE_INTERVAL, eager=True)(measure_due))


def _schema(given: object) -> Schema | None:
    """``given`` as a schema instance, if it is a marshmallow schema (a class or an instance)."""
    if isinstance(given, Schema):
        return given
    if isinstance(given, type) and issubclass(given, Schema):
        return given()
    return None


def _load(arguments: dict[str, Any], load: dict[str, Loader], together: type[Schema] | Schema | None) -> None:
    if together is not None:
        sent = {name: value for name, value in arguments.items() if name != "self"}
        arguments.update(inputs.load(cast(Schema, _schema(together)), sent))
    for name, loader in load.items():
        schema = _schema(loader)
        if schema is not None:
            arguments[name] = inputs.load(schema, arguments[name])
        else:
            arguments[name] = cast(Callable[[Any], Any], loader)(arguments[name])


def _answer(answer: Answer | None, session: Session | None, value: Any) -> Any:
    if answer is None:
        return value
    schema = _schema(answer)
    if schema is not None:
        return schema.dump(value)
    return cast(Callable[[Session | None, Any], Any], answer)(session, value)
