"""Append one load record per run to a JSON Lines history file."""

import argparse
import json
import os
import sys
import time
from datetime import datetime, timezone

from _monitor import monitor


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", default="workers/sample/state/transformed_orders.json")
    parser.add_argument("--history-output", default="workers/sample/state/load_history.jsonl")
    parser.add_argument("--warehouse", default="sample-warehouse")
    parser.add_argument("--table", default="fact_orders_demo")
    parser.add_argument("--sleep-seconds", type=float, default=0.3)
    parser.add_argument("--fail-if-empty", action="store_true")
    args = parser.parse_args()

    if not os.path.exists(args.input):
        print(f"Input file not found: {args.input}", file=sys.stderr)
        monitor.error("load input missing", input=args.input)
        return 1
    with open(args.input, encoding="utf-8") as fh:
        payload = json.load(fh)
    records = payload.get("records", [])
    if not records and args.fail_if_empty:
        print("Nothing to load and --fail-if-empty is set", file=sys.stderr)
        monitor.error("load aborted: empty input", table=args.table)
        return 2

    monitor.info("load started", phase="load", warehouse=args.warehouse, table=args.table, rows=len(records))
    time.sleep(max(0.0, args.sleep_seconds))
    entry = {
        "loaded_at": datetime.now(timezone.utc).isoformat(),
        "batch_id": payload.get("batch_id"),
        "warehouse": args.warehouse,
        "table": args.table,
        "rows_loaded": len(records),
        "total_revenue": payload.get("metrics", {}).get("total_revenue"),
        "run_id": os.environ.get("CHIEF_RUN_ID"),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.history_output)), exist_ok=True)
    with open(args.history_output, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
    print(f"Loaded {len(records)} rows into {args.warehouse}.{args.table}")
    monitor.info("load finished", phase="load", rows_loaded=len(records), table=args.table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
