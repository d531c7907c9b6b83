"""Send worker.message events from a script that gulag-chief runs.

Usage::

    from gulag_chief.monitor_client import monitor

    monitor.info("step started", phase="extract")
    monitor.warn("latency elevated", duration_ms=1800)

The context (endpoint, API key, run id, job name, script path, scheduled time) comes from the
CHIEF_* environment variables that gulag-chief injects. Every method returns True when the
monitor accepted the event and False otherwise (no endpoint, monitor unreachable, HTTP error,
blank message). Nothing here ever raises into the worker: metadata values that JSON cannot
represent are sent as their str() text.
"""

import json
import os
import urllib.request
import uuid
from datetime import datetime, timezone

__all__ = ["MonitorClient", "monitor"]

_CONTEXT_VARS = (
    ("jobName", "CHIEF_JOB_NAME"),
    ("scriptPath", "CHIEF_SCRIPT_PATH"),
    ("runId", "CHIEF_RUN_ID"),
    ("scheduledFor", "CHIEF_SCHEDULED_FOR"),
)


def _env(name):
    value = os.environ.get(name, "").strip()
    return value or None


def _fit(value):
    """Replace NUL characters, which the monitor refuses (PostgreSQL cannot store them)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_fit(k) if isinstance(k, str) else k: _fit(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_fit(v) for v in value]
    return value


def _now():
    return datetime.now(timezone.utc).isoformat()


class MonitorClient:
    """Posts worker.message events to the monitor's /v1/events route."""

    def __init__(self, endpoint=None, api_key=None, timeout_ms=400):
        endpoint = endpoint.strip() if isinstance(endpoint, str) else ""
        api_key = api_key.strip() if isinstance(api_key, str) else ""
        self.endpoint = endpoint or _env("CHIEF_MONITOR_ENDPOINT")
        self.api_key = api_key or _env("CHIEF_MONITOR_API_KEY")
        try:
            timeout_ms = int(timeout_ms)
        except (TypeError, ValueError):
            timeout_ms = 400
        self.timeout_ms = timeout_ms if timeout_ms > 0 else 400
        self.context = {key: _env(var) for key, var in _CONTEXT_VARS}

    @property
    def enabled(self):
        """True when an endpoint is known."""
        return bool(self.endpoint)

    def debug(self, message, **metadata):
        return self._send("DEBUG", message, metadata)

    def info(self, message, **metadata):
        return self._send("INFO", message, metadata)

    def warn(self, message, **metadata):
        return self._send("WARN", message, metadata)

    def error(self, message, **metadata):
        return self._send("ERROR", message, metadata)

    def critical(self, message, **metadata):
        return self._send("CRITICAL", message, metadata)

    def payload(self, level, message, metadata):
        """Return the event object that would be sent (without sending it)."""
        event = {
            "eventId": uuid.uuid4().hex,
            "sourceType": "worker",
            "eventType": "worker.message",
            "level": level,
            "message": message.strip(),
            "eventAt": _now(),
            "metadata": metadata or {},
        }
        for key, value in self.context.items():
            if value:
                event[key] = value
        return _fit(event)

    def _send(self, level, message, metadata):
        try:
            if not self.endpoint or not isinstance(message, str) or not message.strip():
                return False
            body = json.dumps(self.payload(level, message, metadata), default=str).encode("utf-8")
            headers = {"Content-Type": "application/json"}
            if self.api_key:
                headers["x-api-key"] = self.api_key
            request = urllib.request.Request(
                self.endpoint.rstrip("/") + "/v1/events", data=body, headers=headers, method="POST"
            )
            with urllib.request.urlopen(request, timeout=max(100, self.timeout_ms) / 1000.0) as response:
                return 200 <= response.status < 300
        except Exception:  # noqa: BLE001 - the helper must never raise into the worker
            return False


monitor = MonitorClient()
