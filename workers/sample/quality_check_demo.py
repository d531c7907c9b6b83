"""Check the freshness and size of the last sample load."""

import argparse
import json
import os
import sys
from datetime import datetime, timedelta, timezone

from _monitor import monitor


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transformed-file", default="workers/sample/state/transformed_orders.json")
    parser.add_argument("--history-file", default="workers/sample/state/load_history.jsonl")
    parser.add_argument("--max-age-hours", type=float, default=24)
    parser.add_argument("--min-records", type=int, default=1)
    parser.add_argument("--warn-average-below", type=float, default=25.0)
    args = parser.parse_args()

    if not os.path.exists(args.transformed_file):
        print(f"Transformed file not found: {args.transformed_file}", file=sys.stderr)
        monitor.error("quality check: transformed file missing", path=args.transformed_file)
        return 1
    with open(args.transformed_file, encoding="utf-8") as fh:
        transformed = json.load(fh)
    count = int(transformed.get("output_count", len(transformed.get("records", []))))
    if count < args.min_records:
        print(f"Too few records: {count} < {args.min_records}", file=sys.stderr)
        monitor.error("quality check: too few records", records=count, minimum=args.min_records)
        return 2
    if not os.path.exists(args.history_file):
        print(f"Load history not found: {args.history_file}", file=sys.stderr)
        monitor.error("quality check: no load history", path=args.history_file)
        return 3
    with open(args.history_file, encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    last = json.loads(lines[-1]) if lines else {}
    loaded_at = last.get("loaded_at")
    if not loaded_at:
        print("Last load has no loaded_at", file=sys.stderr)
        monitor.error("quality check: last load has no timestamp")
        return 4
    age = datetime.now(timezone.utc) - datetime.fromisoformat(loaded_at)
    if age > timedelta(hours=args.max_age_hours):
        print(f"Last load is stale: {age} old (max {args.max_age_hours}h)", file=sys.stderr)
        monitor.error("quality check: stale load", age_seconds=int(age.total_seconds()))
        return 5
    average = float(transformed.get("metrics", {}).get("avg_order_value", 0.0))
    if average < args.warn_average_below:
        print(f"WARN: {count} records, average order value {average} below {args.warn_average_below}")
        monitor.warn("average order value low", average=average, threshold=args.warn_average_below)
    else:
        print(f"OK: {count} records, average order value {average}, last load {int(age.total_seconds())}s ago")
        monitor.info("quality check passed", records=count, average=average)
    return 0


if __name__ == "__main__":
    sys.exit(main())
