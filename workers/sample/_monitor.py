"""Optional access to the gulag-chief worker helper.

gulag-chief puts the helper on PYTHONPATH; when a sample is run by hand from a checkout we
fall back to clients/python in the repository, and without either every call is a no-op.
"""

import os
import sys

try:
    from gulag_chief.monitor_client import monitor
except ImportError:  # pragma: no cover - depends on how the script is started
    _repo_helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python")
    sys.path.append(os.path.normpath(_repo_helper))
    try:
        from gulag_chief.monitor_client import monitor
    except ImportError:

        class _NoMonitor:
            enabled = False

            def __getattr__(self, _name):
                return lambda *args, **kwargs: False

        monitor = _NoMonitor()

__all__ = ["monitor"]
