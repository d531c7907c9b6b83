"""Filter extracted orders by total and compute revenue metrics."""

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import datetime, timezone

from _monitor import monitor


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", default="workers/sample/state/extracted_orders.json")
    parser.add_argument("--output", default="workers/sample/state/transformed_orders.json")
    parser.add_argument("--min-order-total", type=float, default=20.0)
    parser.add_argument("--sleep-seconds", type=float, default=0.5)
    args = parser.parse_args()

    if not os.path.exists(args.input):
        print(f"Input file not found: {args.input}", file=sys.stderr)
        monitor.error("transform input missing", input=args.input)
        return 1
    try:
        with open(args.input, encoding="utf-8") as fh:
            payload = json.load(fh)
        records = payload["records"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"Bad input payload: {exc}", file=sys.stderr)
        monitor.error("transform input unreadable", input=args.input, error=str(exc))
        return 1

    monitor.info("transform started", phase="transform", input_records=len(records))
    time.sleep(max(0.0, args.sleep_seconds))
    kept = [r for r in records if float(r.get("order_total", 0)) >= args.min_order_total]
    revenue = round(sum(float(r["order_total"]) for r in kept), 2)
    metrics = {
        "total_revenue": revenue,
        "avg_order_value": round(revenue / len(kept), 2) if kept else 0.0,
        "orders_by_channel": dict(Counter(r["channel"] for r in kept)),
    }
    out = {
        "batch_id": payload.get("batch_id"),
        "transformed_at": datetime.now(timezone.utc).isoformat(),
        "input_count": len(records),
        "output_count": len(kept),
        "filtered_out": len(records) - len(kept),
        "metrics": metrics,
        "records": kept,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2)
    print(f"Kept {len(kept)} of {len(records)} orders (>= {args.min_order_total}); revenue {revenue}")
    if len(kept) < len(records) / 2:
        monitor.warn("more than half of the orders were filtered out", kept=len(kept), total=len(records))
    monitor.info("transform finished", phase="transform", **metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
