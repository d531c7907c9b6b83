"""The reference's module name: its workers wrote ``from monitor_client import monitor``.

gulag-chief puts this directory on the PYTHONPATH of the scripts it starts, so such workers run
unchanged; the helper itself is gulag_chief.monitor_client.
"""

from gulag_chief.monitor_client import MonitorClient, monitor

__all__ = ["MonitorClient", "monitor"]
