"""Render deploy/nginx.conf (a template) for N app processes on 127.0.0.1.

    python deploy/render.py --port 8080 --app-ports 8081,8082 --run-dir .run/cluster/nginx [--out FILE]

Used by scripts/cluster.sh and tests/test_deploy.py. Placeholders are {{NAME}}; a placeholder left over, or
a value that is not what it should be (a port, a CIDR, a positive number), is an error. Standard library only.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().with_name("nginx.conf")
COOKIE = "stroute"  # the routing cookie nginx sets (also in deploy/k8s/ingress.yaml: session-cookie-name)

# Limits per client address (documented at the top of nginx.conf; bench/CLUSTER.md has the capacity figures).
LIMITS = {
    "REQ_RATE": 20,  # requests/s to the app (pages, /data, /media, /_stcore/*, the WebSocket handshake)
    "REQ_BURST": 200,
    "STATIC_RATE": 100,  # requests/s for /static/ (served from nginx's cache)
    "STATIC_BURST": 1000,
    "CONN_PER_IP": 100,  # HTTP requests in progress (WebSockets have their own limits)
    "WS_PER_IP": 100,  # open sessions per address
    "WS_PER_REPLICA": 250,  # open sessions in all, per replica
}
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def _port(value: int | str) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise ValueError(f"not a port: {value!r}")
    return port


def _user_directive(user: str | None) -> str:
    """As root nginx's workers need a user of their own; as anyone else the directive is ignored (warned)."""
    if user:
        if not re.fullmatch(r"[a-z_][a-z0-9_-]*( [a-z_][a-z0-9_-]*)?", user):
            raise ValueError(f"bad user: {user!r}")
        return f"user {user};"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        import grp
        import pwd

        for name, group in (("www-data", "www-data"), ("nobody", "nogroup"), ("nobody", "nobody")):
            try:
                pwd.getpwnam(name)
                grp.getgrnam(group)
            except KeyError:
                continue
            return f"user {name} {group};"
    return "# (not root: the workers run as this user; no `user` directive)"


def render(
    *,
    port: int,
    app_ports: list[int],
    run_dir: str | Path,
    listen_host: str = "127.0.0.1",
    server_name: str = "_",
    user: str | None = None,
    real_ip_from: list[str] | None = None,
    cookie_secure: bool = False,
    worker_connections: int = 1024,
    limits: dict | None = None,
    template: str | Path = TEMPLATE,
) -> str:
    """The nginx.conf text for nginx on listen_host:port in front of 127.0.0.1:<each of app_ports>."""
    port = _port(port)
    app_ports = [_port(p) for p in app_ports]
    if not app_ports:
        raise ValueError("at least one app port is needed")
    if len(set(app_ports)) != len(app_ports) or port in app_ports:
        raise ValueError(f"ports must differ: nginx {port}, apps {app_ports}")
    run_dir = Path(run_dir).resolve()
    if re.search(r"[\s;{}'\"$\\]", str(run_dir)):
        raise ValueError(f"the run folder's path must have no spaces or nginx syntax: {run_dir}")
    ipaddress.ip_address(listen_host)
    if not re.fullmatch(r"[A-Za-z0-9._-]+", server_name):
        raise ValueError(f"bad server_name: {server_name!r}")
    values = {**LIMITS, **(limits or {})}
    for key, value in values.items():
        if key not in LIMITS or int(value) < 1:
            raise ValueError(f"bad limit {key}={value!r}")
    n = len(app_ports)
    servers = [f"127.0.0.1:{p}" for p in app_ports]

    pool = "\n".join(f"        server {s} max_fails=1 fail_timeout=5s;" for s in servers)
    replica_blocks = []
    for k, primary in enumerate(servers):
        # max_fails=0: a pinned session always tries its own replica first (on loopback a refused connection
        # costs nothing, and nginx moves on to a backup at once). With max_fails=1 one failure would keep the
        # replica out for fail_timeout, and a WebSocket that probes it afterwards clears that only when it
        # closes: sessions would be sent to a backup long after their replica is back.
        lines = [f"    upstream st_r{k} {{", f"        zone st_r{k} 64k;", f"        server {primary} max_fails=0;"]
        lines += [f"        server {other} backup;" for other in servers if other != primary]
        lines += ["        keepalive 8;", "        keepalive_timeout 3s;", "    }"]
        replica_blocks.append("\n".join(lines))
    route_map = "\n".join(f"        r{k} st_r{k};" for k in range(n))
    served_by = "\n".join(f'        "~{re.escape(s)}$" r{k};' for k, s in enumerate(servers))
    if real_ip_from:
        nets = [str(ipaddress.ip_network(net, strict=False)) for net in real_ip_from]
        real_ip = "\n".join(
            [f"    set_real_ip_from {net};" for net in nets]
            + ["    real_ip_header X-Forwarded-For;", "    real_ip_recursive on;"]
        )
    else:
        real_ip = "    # (no proxy in front: $remote_addr is the client; see render.py --real-ip-from)"
    listen = f"[{listen_host}]:{port}" if ":" in listen_host else f"{listen_host}:{port}"

    fill = {
        "USER_DIRECTIVE": _user_directive(user),
        "RUN_DIR": str(run_dir),
        "WORKER_CONNECTIONS": str(int(worker_connections)),
        "POOL_SERVERS": pool,
        "REPLICA_UPSTREAMS": "\n".join(replica_blocks),
        "ROUTE_MAP": route_map,
        "SERVED_BY_MAP": served_by,
        "REAL_IP": real_ip,
        "COOKIE": COOKIE,
        "COOKIE_SECURE": "; Secure" if cookie_secure else "",
        "LISTEN": listen,
        "SERVER_NAME": server_name,
        "WS_TOTAL": str(int(values["WS_PER_REPLICA"]) * n),
        **{k: str(int(v)) for k, v in values.items()},
    }
    text = Path(template).read_text(encoding="utf-8")
    missing = sorted(set(_PLACEHOLDER.findall(text)) - set(fill))
    if missing:
        raise ValueError(f"no value for {missing}")
    return _PLACEHOLDER.sub(lambda m: fill[m.group(1)], text)


def prepare_run_dir(run_dir: str | Path) -> Path:
    """The folders nginx writes to (logs, temp files, the static cache)."""
    run_dir = Path(run_dir).resolve()
    for sub in ("logs", "tmp", "cache"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    return run_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the port nginx listens on")
    parser.add_argument("--app-ports", required=True, help="comma-separated ports of the app processes")
    parser.add_argument("--run-dir", required=True, help="nginx's folder: pid, logs/, tmp/, cache/")
    parser.add_argument("--listen-host", default="127.0.0.1")
    parser.add_argument("--server-name", default="_")
    parser.add_argument(
        "--real-ip-from",
        action="append",
        default=[],
        help="CIDR of a trusted proxy in front (then X-Forwarded-For names the client)",
    )
    parser.add_argument("--cookie-secure", action="store_true", help="mark the routing cookie Secure (HTTPS)")
    parser.add_argument("--user", help="as root: the workers' user (and group), e.g. 'www-data www-data'")
    parser.add_argument(
        "--set", action="append", default=[], metavar="LIMIT=N", help=f"override a limit: {', '.join(LIMITS)}"
    )
    parser.add_argument("--out", help="write here (default: stdout)")
    args = parser.parse_args(argv)
    limits = {}
    for item in args.set:
        key, _, value = item.partition("=")
        limits[key.strip().upper()] = int(value)
    try:
        text = render(
            port=args.port,
            app_ports=[int(p) for p in args.app_ports.split(",") if p.strip()],
            run_dir=args.run_dir,
            listen_host=args.listen_host,
            server_name=args.server_name,
            real_ip_from=args.real_ip_from,
            cookie_secure=args.cookie_secure,
            limits=limits,
            user=args.user,
        )
    except (ValueError, OSError) as error:
        sys.stderr.write(f"render.py: {error}\n")
        return 2
    if args.out:
        prepare_run_dir(args.run_dir)
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
