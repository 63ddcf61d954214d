"""A papershelf server on this machine, as the tests, the benchmarks and docs/screenshot.py start one:
a free loopback port, and the wait until the server answers (or has died, or taken too long)."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen, timeout: float, interval: float = 0.2,
                  request_timeout: float = 30) -> httpx.Response:
    """Poll ``url`` until it answers 200 and return that answer; ``ServerDidNotStart`` when
    ``process`` exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = httpx.get(url, timeout=request_timeout)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise ServerDidNotStart(f"the server exited (status {process.returncode}) before {url} answered")
        if time.monotonic() > deadline:
            raise ServerDidNotStart(f"{url} did not answer 200 within {timeout:g} s")
        time.sleep(interval)
