"""`manage.py watch_clusters`: watch every active cluster and correct what drifts.

Runs until SIGTERM or SIGINT; on a clean stop it gives its Leases up, so a standby
takes over at once instead of after the lease duration.
"""

import signal
from typing import Any

from django.core.management.base import BaseCommand

from apps.deployments.watch.runner import Watcher


class Command(BaseCommand):
    help = "Watch every active cluster; queue reconciles for drift, deletions and pod trouble."

    def handle(self, *args: Any, **options: Any) -> None:
        watcher = Watcher()

        def stop(signum: int, frame: Any) -> None:
            watcher.stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stderr.write(f"watcher {watcher.identity}: watching the active clusters")
        watcher.run()
