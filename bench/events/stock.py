"""The events benchmark's stock baseline: plain nameko services, written as nameko's documentation shows events.

    python -m bench.events.stock handler --port P --events N
    python -m bench.events.stock dispatcher --port P --events N

Two services, each in its own process as ``nameko run`` would start them, on
nameko's defaults (its ``EventDispatcher`` with publisher confirms, persistent
messages, nameko's own durable event queue): ``bench_dispatcher`` dispatches
one event per ``self.dispatch`` call, ``bench_handler`` handles each with
``@event_handler``. Nothing of the platform is used. The handler prints one
JSON line when it has handled ``N`` events (the monotonic clock of the first
and the last); the dispatcher, started once the handler is ready, is called
over RPC to dispatch ``N`` events in one worker and prints the seconds its
loop took and when it began (both processes read the machine's one monotonic
clock). ``bench.events.baselines.nameko_stock`` runs both and reads them.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from nameko.events import EventDispatcher, event_handler  # noqa: E402
from nameko.rpc import rpc  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

PAD = "x" * 300  # about the size of a real internal event's data


class DispatcherService:
    name = "bench_dispatcher"

    dispatch = EventDispatcher()

    @rpc
    def dispatch_many(self, n):
        began = time.monotonic()
        for i in range(n):
            self.dispatch("assessed", {"n": i, "pad": PAD})
        return [began, time.monotonic() - began]


class HandlerService:
    name = "bench_handler"
    expected = 0
    seen = 0
    first = 0.0

    @event_handler("bench_dispatcher", "assessed")
    def handle(self, payload):
        cls = HandlerService
        if cls.seen == 0:
            cls.first = time.monotonic()
        cls.seen += 1
        if cls.seen == cls.expected:
            print(json.dumps({"handled": cls.seen, "first": cls.first, "last": time.monotonic()}), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("role", choices=("handler", "dispatcher"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--events", type=int, required=True)
    args = parser.parse_args(argv)
    config = {"AMQP_URI": f"amqp://guest:guest@127.0.0.1:{args.port}/"}
    service = HandlerService if args.role == "handler" else DispatcherService
    HandlerService.expected = args.events
    runner = ServiceRunner(config)
    runner.add_service(service)
    runner.start()
    print(json.dumps({"ready": args.role}), flush=True)
    try:
        if args.role == "dispatcher":
            with ClusterRpcProxy(config, timeout=3600) as proxy:
                began, seconds = proxy.bench_dispatcher.dispatch_many(args.events)
            print(json.dumps({"dispatched": args.events, "began": began, "seconds": seconds}), flush=True)
        else:
            while HandlerService.seen < args.events:
                eventlet.sleep(0.05)
    finally:
        runner.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
