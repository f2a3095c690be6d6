"""Small steps of scripts/cluster.sh that are easier in Python (standard library only).

python deploy/helper.py ports-free 8080 8081 8082     # exit 1 and name the busy ones
python deploy/helper.py wait --timeout 120 URL:PID [URL:PID ...]
    # until every URL answers 200; fails at once when the process group PID is gone
python deploy/helper.py secret FILE                   # create FILE (mode 600) with a new secret, once
python deploy/helper.py health URL [URL ...]          # print "200" / "down" per URL (for `status`)
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
import time
import urllib.error
import urllib.request


def _say(text: str, err: bool = False) -> None:
    (sys.stderr if err else sys.stdout).write(text + "\n")


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on host:port now (as servers do, with SO_REUSEADDR: connections in
    TIME_WAIT from a process just stopped do not count, a listening socket does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait(pairs: list[tuple[str, int]], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    pending = list(pairs)
    while pending:
        for url, pgid in list(pending):
            if status(url, timeout=2.0) == 200:
                pending.remove((url, pgid))
            elif not group_alive(pgid):
                _say(f"process {pgid} exited before {url} answered", err=True)
                return 1
        if pending:
            if time.monotonic() > deadline:
                _say(f"not healthy after {timeout:.0f} s: {', '.join(u for u, _ in pending)}", err=True)
                return 1
            time.sleep(0.1)
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        _say(__doc__, err=True)
        return 2
    command, args = argv[0], argv[1:]
    if command == "ports-free":
        busy = [p for p in args if not port_free(int(p))]
        if busy:
            _say(" ".join(busy))
            return 1
        return 0
    if command == "wait":
        timeout = 120.0
        if args[:1] == ["--timeout"]:
            timeout, args = float(args[1]), args[2:]
        pairs = []
        for item in args:
            url, _, pid = item.rpartition(":")
            pairs.append((url, int(pid)))
        return wait(pairs, timeout)
    if command == "secret":
        path = args[0]
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(48) + "\n")
        return 0
    if command == "health":
        for url in args:
            code = status(url)
            _say(str(code) if code is not None else "down")
        return 0
    _say(f"unknown command {command!r}", err=True)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
