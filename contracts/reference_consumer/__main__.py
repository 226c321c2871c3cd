"""``python -m contracts.reference_consumer --url amqp://forem:…@host:5672/%2Fagencies --agency forem``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from contracts.reference_consumer.consumer import SCHEMAS, Consumer
from contracts.reference_consumer.store import EventStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contracts.reference_consumer", description="Consume an agency's Passerelle events."
    )
    parser.add_argument("--url", required=True, help="AMQP URI of the agencies' vhost, with the agency's user")
    parser.add_argument("--agency", required=True, choices=("forem", "actiris"))
    parser.add_argument("--queue", help="default: <agency>.events")
    parser.add_argument("--store", default="agency-events.sqlite", help="SQLite file of events and seen ids")
    parser.add_argument("--schemas", type=Path, default=SCHEMAS, help="folder of the contract's JSON Schemas")
    parser.add_argument("--idle-exit", type=float, help="stop after this many seconds without a message")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    store = EventStore(args.store)
    try:
        tally = Consumer(args.url, args.agency, store, args.queue, args.schemas).run(args.idle_exit)
    finally:
        store.close()
    print(json.dumps(dataclasses.asdict(tally), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
