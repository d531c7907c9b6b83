"""Generate a seeded batch of mock orders and write it as JSON."""

import argparse
import json
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone

from _monitor import monitor

CHANNELS = ["web", "mobile", "store", "partner"]
PRODUCTS = ["widget", "gadget", "doohickey", "gizmo", "sprocket"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default="workers/sample/state/extracted_orders.json")
    parser.add_argument("--records", type=int, default=25)
    parser.add_argument("--source", default="demo-orders-api")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sleep-seconds", type=float, default=0.5)
    args = parser.parse_args()

    if args.records <= 0:
        print("--records must be > 0", file=sys.stderr)
        monitor.error("extract rejected: no records requested", records=args.records)
        return 1

    monitor.info("extract started", phase="extract", source=args.source, records=args.records)
    time.sleep(max(0.0, args.sleep_seconds))
    rng = random.Random(args.seed)
    now = datetime.now(timezone.utc)
    records = []
    for i in range(args.records):
        items = rng.randint(1, 5)
        records.append(
            {
                "order_id": f"ord-{args.seed}-{i + 1:05d}",
                "event_time": (now - timedelta(minutes=rng.randint(0, 1440))).isoformat(),
                "channel": rng.choice(CHANNELS),
                "product": rng.choice(PRODUCTS),
                "item_count": items,
                "order_total": round(items * rng.uniform(4.0, 40.0), 2),
                "currency": "EUR",
            }
        )
    payload = {
        "batch_id": f"{args.source}-{now.strftime('%Y%m%dT%H%M%S')}",
        "source": args.source,
        "generated_at": now.isoformat(),
        "record_count": len(records),
        "records": records,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, indent=2)
    print(f"Extracted {len(records)} records from {args.source} to {args.output}")
    monitor.info("extract finished", phase="extract", record_count=len(records), output=args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
