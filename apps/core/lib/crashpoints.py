"""Crash points: kill this process at a named step, to test recovery from a worker killed
mid-task. Off unless GANTRY_CRASH_AT names the step (never set in production).

GANTRY_CRASH_AT=<step> kills the process with SIGKILL when it reaches `crashpoint(step)`.
With GANTRY_CRASH_MARKER=<path> it does so once only: the first process to get there
creates the file and dies; the re-delivered task then runs through.
"""

import os
import signal


def crashpoint(step: str) -> None:
    if os.environ.get("GANTRY_CRASH_AT") != step:
        return
    marker = os.environ.get("GANTRY_CRASH_MARKER")
    if marker:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
    os.kill(os.getpid(), signal.SIGKILL)
