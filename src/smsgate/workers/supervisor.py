"""The core's API workers: start them, connect them, start them again if they die, stop them.

Each worker is `python -m smsgate.workers.worker` with two inherited descriptors: its own
listening socket on the public port (SO_REUSEPORT: the kernel spreads new connections over the
workers' sockets; this process keeps them open, so connections that reach a dead worker's
socket wait for its successor instead of being refused) and its end of a fresh socketpair,
whose other end this process serves with a `CoreEndpoint`. A socketpair, not a listening
socket, so nothing but our own children can hand messages to the core.
"""

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable

from smsgate.constants import WORKER_RESTART_DELAY_SECONDS, WORKER_STOP_TIMEOUT_SECONDS
from smsgate.workers.worker import CORE_FD_ENV, LISTEN_FD_ENV

log = logging.getLogger(__name__)


class WorkerSupervisor:
    """Keeps one API worker running per socket of `listeners` (see the module docstring)."""

    def __init__(
        self,
        listeners: list[socket.socket],
        endpoint: Callable[[], asyncio.Protocol],
        *,
        env: dict[str, str] | None = None,
    ) -> None:
        self._listeners = listeners
        self._endpoint = endpoint
        self._env = dict(os.environ if env is None else env)
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._watchers: list[asyncio.Task[None]] = []
        self._stopping = False
        self.started = 0  # workers started so far, restarts included

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values()]

    async def start(self) -> None:
        for slot in range(len(self._listeners)):
            await self._spawn(slot)
            self._watchers.append(asyncio.create_task(self._watch(slot)))

    async def _spawn(self, slot: int) -> None:
        ours, theirs = socket.socketpair()
        listener = self._listeners[slot]
        try:
            env = dict(self._env)
            env[LISTEN_FD_ENV] = str(listener.fileno())
            env[CORE_FD_ENV] = str(theirs.fileno())
            self._procs[slot] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "smsgate.workers.worker",
                env=env,
                pass_fds=(listener.fileno(), theirs.fileno()),
            )
        finally:
            theirs.close()
        await asyncio.get_running_loop().connect_accepted_socket(self._endpoint, ours)
        self.started += 1

    async def _watch(self, slot: int) -> None:
        while True:
            code = await self._procs[slot].wait()
            if self._stopping:
                return
            log.error("API worker %d exited with %s; starting it again", slot, code)
            await asyncio.sleep(WORKER_RESTART_DELAY_SECONDS)
            if self._stopping:
                return
            await self._spawn(slot)

    async def stop(self) -> None:
        """SIGTERM every worker (they finish the requests they hold), wait, then SIGKILL."""
        self._stopping = True
        for proc in self._procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self._procs.values():
            try:
                await asyncio.wait_for(proc.wait(), WORKER_STOP_TIMEOUT_SECONDS)
            except TimeoutError:
                log.error("API worker %d did not stop; killing it", proc.pid)
                proc.kill()
                await proc.wait()
        for watcher in self._watchers:
            watcher.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
