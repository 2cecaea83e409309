"""Lambda's execution model for the local runtime: each function runs in its own worker processes.

A worker process is one warm Lambda execution environment: it imports the handler once, runs one
invocation at a time, and reaches AWS (moto) over its HTTP endpoint like a function on AWS does. So
concurrent invocations never share the handler's per-invocation state (Powertools' resolver keeps the
current event on the `app` instance; Logger keys and the metric set are module singletons).

`ProcessInvoker` is a function with a concurrency limit: an invocation takes an idle environment, else
starts a new one (a cold start) while fewer than `max_workers` exist, else waits for one to be free.
An invocation that outlives the function timeout is stopped the way Lambda stops it (the environment
is killed) and reported as an error; a handler exception comes back with its traceback.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import threading
import traceback
import warnings
from multiprocessing.connection import Connection
from typing import Any

from hookwire.local.lambda_emulation import FakeLambdaContext, drop_unflushed_metrics

START_TIMEOUT_SECONDS = 120.0  # importing the handler on a busy machine
KILL_GRACE_SECONDS = 1.0


class InvocationError(Exception):
    """The handler raised, timed out, or its environment died; the message says which (with a traceback)."""


def load(reference: str) -> Any:
    """`package.module:attribute` -> the attribute."""
    module_name, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _serve(connection: Connection) -> None:
    """The worker process: set the function's environment, import the handler, then invoke on request."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the parent stops us
    # Metrics are off locally; Powertools would warn about an empty flush on every invocation.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    name, handler_ref, timeout_seconds, init_ref = connection.recv()
    try:
        if init_ref:
            load(init_ref)()
        handler = load(handler_ref)
    except BaseException:  # noqa: BLE001 - an init failure is reported to the parent, like Lambda's init error
        connection.send(("error", traceback.format_exc()))
        return
    connection.send(("ready", None))
    while True:
        try:
            event = connection.recv()
        except (EOFError, OSError):
            return  # the runtime stopped (or died): so does this environment
        try:
            result = handler(event, FakeLambdaContext(name, timeout_seconds))
            reply: tuple[str, Any] = ("ok", result)
        except BaseException:  # noqa: BLE001 - the traceback goes back to the invoker, which logs it
            reply = ("error", traceback.format_exc())
        finally:
            drop_unflushed_metrics()
        try:
            connection.send(reply)
        except OSError:
            return  # the runtime went away mid-invocation (e.g. SIGKILL): end quietly with it


class _Worker:
    """One environment: `python -m hookwire.local.workers FD`, talking over a socket pair. A plain process
    rather than multiprocessing's spawn, which re-imports the caller's __main__ in the child (a script
    that starts a runtime without an `if __name__ == "__main__"` guard would start one per worker)."""

    def __init__(self, invoker: ProcessInvoker) -> None:
        self.name = invoker.name
        ours, theirs = socket.socketpair()
        # The child finds every module this process can (tests' handlers included), as spawn would.
        env = {**os.environ, **invoker.env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hookwire.local.workers", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.connection = Connection(ours.detach())
        self.connection.send((invoker.name, invoker.handler_ref, invoker.timeout_seconds, invoker.init_ref))
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.connection.poll(START_TIMEOUT_SECONDS):
            self.kill()
            raise InvocationError(f"{self.name}: the function did not start within {START_TIMEOUT_SECONDS:.0f} s")
        status, detail = self._receive()
        if status != "ready":
            self.kill()
            raise InvocationError(f"{self.name}: the function failed to start\n{detail}")
        self.ready = True

    def invoke(self, event: dict[str, Any], timeout_seconds: float) -> dict[str, Any]:
        self.wait_ready()
        try:
            self.connection.send(event)
            answered = self.connection.poll(timeout_seconds + KILL_GRACE_SECONDS)
        except OSError as exc:  # killed by stop() meanwhile
            raise InvocationError(f"{self.name}: the execution environment was stopped") from exc
        if not answered:
            self.kill()
            raise InvocationError(f"{self.name}: Task timed out after {timeout_seconds:.2f} seconds")
        status, detail = self._receive()
        if status != "ok":
            raise InvocationError(f"{self.name}: the handler raised\n{detail}")
        return detail

    def _receive(self) -> tuple[str, Any]:
        try:
            return self.connection.recv()
        except (EOFError, OSError) as exc:
            try:
                exit_code = self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                exit_code = None
            raise InvocationError(f"{self.name}: the execution environment died (exit {exit_code})") from exc

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=5)
        self.connection.close()

    def stop(self) -> None:
        self.connection.close()  # the worker sees EOF and returns
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()


class ProcessInvoker:
    """One function: up to `max_workers` environments, each running one invocation at a time."""

    def __init__(
        self,
        name: str,
        handler_ref: str,
        env: dict[str, str],
        timeout_seconds: float,
        max_workers: int,
        init_ref: str | None = None,
    ) -> None:
        self.name = name
        self.handler_ref = handler_ref
        self.timeout_seconds = timeout_seconds
        self.env = env
        self.max_workers = max_workers
        self.init_ref = init_ref
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._count = 0
        self._free = threading.Condition()
        self._stopped = False
        self.cold_starts = 0

    def warm(self) -> None:
        """Start one environment now (the first request shouldn't pay the cold start); `wait_ready` waits."""
        with self._free:
            self._count += 1
            self._idle.append(self._spawn())

    def wait_ready(self) -> None:
        for worker in list(self._idle):
            worker.wait_ready()

    def _spawn(self) -> _Worker:
        worker = _Worker(self)
        self._all.add(worker)
        self.cold_starts += 1
        return worker

    def _acquire(self) -> _Worker:
        with self._free:
            while True:
                if self._stopped:
                    raise InvocationError(f"{self.name}: the runtime is stopping")
                if self._idle:
                    return self._idle.pop()
                if self._count < self.max_workers:
                    self._count += 1
                    break
                self._free.wait()
        try:
            return self._spawn()
        except BaseException:
            self._forget()
            raise

    def _forget(self) -> None:
        with self._free:
            self._count -= 1
            self._free.notify()

    def _release(self, worker: _Worker) -> None:
        if not worker.alive or self._stopped:
            worker.stop()
            self._all.discard(worker)
            self._forget()
            return
        with self._free:
            self._idle.append(worker)
            self._free.notify()

    def pids(self) -> list[int]:
        """The process ids of this function's environments (for CPU accounting)."""
        return [worker.process.pid for worker in list(self._all)]

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        worker = self._acquire()
        try:
            return worker.invoke(event, self.timeout_seconds)
        finally:
            self._release(worker)

    def stop(self) -> None:
        """Idle environments end cleanly; busy ones are killed (their invocations report an error)."""
        with self._free:
            self._stopped = True
            idle, self._idle = set(self._idle), []
            busy = self._all - idle
            self._free.notify_all()
        for worker in idle:
            worker.connection.close()  # each sees EOF and exits; they wind down in parallel
        for worker in busy:
            worker.kill()
        for worker in idle:
            worker.stop()


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
