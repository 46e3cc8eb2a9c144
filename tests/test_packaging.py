"""The package, the image and the proxy as an operator meets them.

- The wheel is built and installed by the Dockerfile's own COPY and RUN lines, run here
  with temporary paths for ``/src``, ``/wheels`` and ``/opt/live``: the steps tested are
  the steps the image takes. The install has no extras; the image's ``CMD`` then runs
  from a directory outside the checkout and serves the pages and ``/readyz``, and the
  image's ``HEALTHCHECK`` command passes against it.
- No container engine runs here, so the compose file is checked by Debian's
  ``docker-compose config`` and by reading it: files it references exist, health checks
  and ``service_healthy`` dependencies, hosts, origins and forwarded-header trust agree
  with the load balancer's address.
- ``deploy/nginx.conf`` runs for real (Debian's nginx) in front of two nodes of the
  installed wheel: a same-origin WebSocket is accepted through it, and the nodes see the
  client's own address (an address rate limit refuses it), not nginx's nor a forged one.
"""

import contextlib
import glob
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin, Subprotocol

from tests.harness import ROOT, SECRET, RedisServer, bearer, free_port, token

Instruction = tuple[str, str]  # (FROM/COPY/RUN/..., the rest of the line)
CONTAINER_PATHS = {"/src": "src", "/wheels": "wheels", "/opt/live": "venv"}  # in the image -> under the test's tmp
CONTAINER_ONLY = ("useradd ",)  # RUN steps about the container's user, not the install
COMPOSE_SECRETS = {"LIVE_TOKEN_SECRET": "x" * 40, "LIVE_PSEUDONYM_SECRET": "y" * 40}
# Installing the wheel's dependencies (numpy, scipy and scikit-learn come with the toxicity
# model's package, ~300 MB): 15 s with uv here, and pip took a minute or more on a busy machine.
INSTALL_SECONDS = 480
UV = str(Path(sys.executable).parent / "uv")  # the test extras' uv (the image's RUN installs its own)
UPSTREAM, LISTEN = "    server node", "    listen 80;"  # the lines the test copy of nginx.conf replaces


def dockerfile_stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, continuation lines joined, one list per stage."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages: list[list[Instruction]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instr, _, rest = line.strip().partition(" ")
        if instr.upper() == "FROM":
            stages.append([])
        stages[-1].append((instr.upper(), " ".join(rest.split())))
    return stages


def args_of(stages: list[list[Instruction]], instr: str) -> list[str]:
    return [rest for stage in stages for i, rest in stage if i == instr]


def install_steps(stages: list[list[Instruction]]) -> list[str]:
    return [r for r in args_of(stages, "RUN") if not r.startswith(CONTAINER_ONLY)]


def on_host(word: str, tmp: Path) -> str:
    for inside, here in CONTAINER_PATHS.items():
        if word == inside or word.startswith(inside + "/"):
            return str(tmp / here) + word[len(inside) :]
    return word


def host_command(step: str, tmp: Path) -> list[str]:
    """One RUN step as it runs here: ``python`` is this interpreter (``uv`` the one beside it),
    image paths are tmp paths, globs expanded."""
    words: list[str] = []
    for word in shlex.split(step):
        word = sys.executable if word == "python" else UV if word == "uv" else on_host(word, tmp)
        matches = sorted(glob.glob(word)) if "*" in word else []
        words += matches or [word]
    return words


def outside_env() -> dict[str, str]:
    """This environment without what would let the checkout in (PYTHONPATH, an active venv) or configure a node."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("LIVE_", "PYTHON", "VIRTUAL_ENV"))}


def clean_env(venv: Path, **extra: str) -> dict[str, str]:
    """The environment of a process of the installed package, as the image's ENV PATH has it."""
    env = outside_env()
    return env | {"PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"} | extra


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built and installed by the Dockerfile's steps; the venv it is in."""
    tmp = tmp_path_factory.mktemp("image")
    build = dockerfile_stages()[0]
    workdir = next(rest for i, rest in build if i == "WORKDIR")
    for instr, rest in build:
        if instr == "COPY":
            *sources, dest = rest.split()
            target = Path(on_host(workdir + "/" + dest.removeprefix("./"), tmp))
            for source in sources:
                to = target / source if dest.endswith("/") else target
                to.parent.mkdir(parents=True, exist_ok=True)
                if (ROOT / source).is_dir():
                    shutil.copytree(ROOT / source, to, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    shutil.copy(ROOT / source, to)
    for step in install_steps(dockerfile_stages()):
        result = subprocess.run(host_command(step, tmp), cwd=tmp, env=outside_env(), capture_output=True, text=True, timeout=INSTALL_SECONDS)
        assert result.returncode == 0, f"{step}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return tmp / CONTAINER_PATHS["/opt/live"]


class Process:
    """A background process, stopped by its PID."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str], log: Path, stop_signal: int = signal.SIGTERM) -> None:
        self.log, self.stop_signal = log, stop_signal
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_for(self, ok: Any, what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{what} exited: {self.log.read_text()[-4000:]}"
            with contextlib.suppress(OSError, httpx.HTTPError):
                if ok():
                    return
            time.sleep(0.05)
        raise AssertionError(f"{what} did not start: {self.log.read_text()[-4000:]}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, self.stop_signal)
            try:
                return self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
        return self.proc.wait()


def serve(venv: Path, tmp: Path, port: int, **env: str) -> Process:
    """The image's CMD (host and port swapped) from the installed package, in a directory outside the checkout."""
    cmd = json.loads(args_of(dockerfile_stages(), "CMD")[-1])
    cmd[cmd.index("--host") + 1], cmd[cmd.index("--port") + 1] = "127.0.0.1", str(port)
    cmd[0] = str(venv / "bin" / cmd[0])
    env = {"LIVE_TOKEN_SECRET": SECRET, "LIVE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/live.db"} | env
    node = Process(cmd, tmp, clean_env(venv, **env), tmp / f"serve-{port}.log")
    node.wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200, "live serve")
    return node


def image_healthcheck() -> list[str]:
    check = args_of(dockerfile_stages(), "HEALTHCHECK")[-1]
    return list(json.loads(check[check.index("CMD [") + 4 :]))


def compose_healthchecks() -> list[list[str]]:
    """The compose file's health checks of the nodes (services built from the Dockerfile), without the CMD word."""
    return [svc["healthcheck"]["test"][1:] for svc in compose()["services"].values() if "build" in svc]


def healthcheck(venv: Path, port: int, cmd: list[str]) -> int:
    """A health check command of the image (``python`` is the venv's, port 8000 this one) run here; its exit status."""
    cmd = [str(venv / "bin" / "python") if w == "python" else w.replace(":8000/", f":{port}/") for w in cmd]
    return subprocess.run(cmd, env=clean_env(venv), capture_output=True, timeout=15).returncode


def test_dockerfile_builds_the_wheel_and_installs_only_it() -> None:
    stages = dockerfile_stages()
    assert len(stages) == 2 and stages[1][0] == ("FROM", "python:3.11-slim"), stages
    build, image = stages
    assert [r for i, r in build if i == "RUN"] == ["python -m pip wheel --no-deps --wheel-dir /wheels /src"]
    assert [r for i, r in image if i == "COPY"] == ["--from=build /wheels /wheels"], "the image takes only the wheel"
    *_, install = install_steps(stages)
    assert install.startswith("uv pip install ") and "--python /opt/live/bin/python" in install and install.split()[-1] == "/wheels/live-*.whl"
    assert "[" not in install and " -e " not in install, "no extras, no editable install"
    user = [r for i, r in image if i == "USER"]
    assert user and user[-1] not in ("root", "0"), "runs as a non-root user"
    assert [i for i, _ in image].index("USER") > max(n for n, (i, _) in enumerate(image) if i == "RUN"), "every RUN before USER"
    assert [r for i, r in image if i == "EXPOSE"] == ["8000"]
    assert "/healthz" in args_of(stages, "HEALTHCHECK")[-1]
    assert json.loads(args_of(stages, "CMD")[-1]) == ["live", "serve", "--host", "0.0.0.0", "--port", "8000"]
    for rest in args_of([build], "COPY"):
        for source in rest.split()[:-1]:
            assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which does not exist"


@pytest.mark.timeout(INSTALL_SECONDS + 120)  # the install is this test's setup
def test_the_wheel_installs_without_extras_and_serves(venv: Path, tmp_path: Path) -> None:
    version = subprocess.run([venv / "bin" / "live", "--version"], env=clean_env(venv), capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.startswith("live "), version
    where = subprocess.run([venv / "bin" / "python", "-c", "import live, rooms; print(live.__file__, rooms.__file__)"], cwd=tmp_path, env=clean_env(venv), capture_output=True, text=True)
    assert all(Path(p).is_relative_to(venv) for p in where.stdout.split()), f"imported from outside the install: {where}"
    port = free_port()
    node = serve(venv, tmp_path, port)
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/viewer.html", timeout=5)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), page
        assert "<html" in page.text.lower()
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["ready"] is True, ready.text
        for check in [image_healthcheck(), *compose_healthchecks()]:
            assert healthcheck(venv, port, check) == 0, f"{check} fails against a serving node"
    finally:
        status = node.stop()
    assert status in (0, -signal.SIGTERM) and "Application shutdown complete" in node.log.read_text(), node.log.read_text()[-4000:]
    assert healthcheck(venv, port, image_healthcheck()) != 0, "the HEALTHCHECK passes with nothing serving"


def need(command: str) -> str:
    path = shutil.which(command) or (f"/usr/sbin/{command}" if Path(f"/usr/sbin/{command}").exists() else None)
    if path is None:
        pytest.fail(f"`{command}` is missing: `./dev test` installs it (Debian package {command})")
    return path


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_compose_file_parses() -> None:
    result = subprocess.run([need("docker-compose"), "-f", "docker-compose.yml", "config", "--quiet"], cwd=ROOT, env=os.environ | COMPOSE_SECRETS, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_references_what_exists_and_waits_for_health() -> None:
    services = compose()["services"]
    for name, svc in services.items():
        if "build" in svc:
            context = ROOT / (svc["build"] if isinstance(svc["build"], str) else svc["build"]["context"])
            assert (context / "Dockerfile").is_file(), name
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert cond == {"condition": "service_healthy"}, f"{name} waits for {dep} only to start"
            assert "healthcheck" in services[dep], f"{name} waits for {dep}'s health, which has no check"
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    nodes = [s for s in services.values() if "build" in s]
    assert len(nodes) >= 2 and all("/readyz" in " ".join(s["healthcheck"]["test"]) for s in nodes)


def test_compose_nodes_trust_the_load_balancer_only() -> None:
    doc = compose()
    lb = doc["services"]["lb"]
    published = int(lb["ports"][0].split(":")[0])
    proxy = lb["networks"]["default"]["ipv4_address"]
    for name, svc in doc["services"].items():
        if "build" not in svc:
            continue
        env = svc["environment"]
        assert json.loads(env["LIVE_FORWARDED_ALLOW_IPS"]) == [proxy], name
        assert "localhost" in json.loads(env["LIVE_TRUSTED_HOSTS"]) and "127.0.0.1" in json.loads(env["LIVE_TRUSTED_HOSTS"]), "the browser's host and the health check's"
        assert f"http://localhost:{published}" in json.loads(env["LIVE_ALLOWED_ORIGINS"]), name
        assert env["LIVE_PSEUDONYM_SECRET"].startswith("${LIVE_PSEUDONYM_SECRET:?"), "a secret of its own, required"
    nginx = (ROOT / "deploy/nginx.conf").read_text()
    assert "proxy_set_header Host $http_host;" in nginx, "Host with its port: same-origin WebSockets compare it with Origin"
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in nginx and "X-Forwarded-Proto $scheme" in nginx


def nginx_test_copy(port: int, upstreams: list[int]) -> str:
    """deploy/nginx.conf with local nodes as the upstream servers and a free port to listen on."""
    out: list[str] = []
    for line in (ROOT / "deploy/nginx.conf").read_text().splitlines():
        if line.startswith(UPSTREAM):
            if not any(o.startswith(UPSTREAM[:-4] + "server 127.") for o in out):
                out += [f"    server 127.0.0.1:{p};" for p in upstreams]
        else:
            out.append(f"    listen 127.0.0.1:{port};" if line == LISTEN else line)
    return "\n".join(out) + "\n"


def test_the_nginx_test_copy_differs_only_in_upstreams_and_listen() -> None:
    real = (ROOT / "deploy/nginx.conf").read_text().splitlines()
    copy = nginx_test_copy(8080, [9001, 9002]).splitlines()
    assert [line for line in real if not line.startswith(UPSTREAM) and line != LISTEN] == [
        line for line in copy if line != "    listen 127.0.0.1:8080;" and line not in ("    server 127.0.0.1:9001;", "    server 127.0.0.1:9002;")
    ]
    assert sum(line.startswith(UPSTREAM) for line in real) == 2 and LISTEN in real


@pytest.fixture
def proxied(venv: Path, tmp_path: Path) -> Iterator[int]:
    """nginx (the test copy of deploy/nginx.conf) in front of two nodes on one Redis; its port."""
    redis = RedisServer(tmp_path, aof=False).start()
    env = {
        "LIVE_REDIS_URL": redis.url,
        "LIVE_FORWARDED_ALLOW_IPS": '["127.0.0.1"]',  # nginx's address
        "LIVE_CONNECTIONS_PER_ADDRESS_PER_MINUTE": "1",  # an address's second connection to a node is refused
    }
    procs: list[Process] = []
    try:
        nodes = [free_port(), free_port()]
        for port in nodes:  # one after the other: the first migrates the shared database
            procs.append(serve(venv, tmp_path, port, **env))
        port = free_port()
        (tmp_path / "nginx.conf").write_text(nginx_test_copy(port, nodes))
        directives = f"daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/nginx-error.log;"
        args = [need("nginx"), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "nginx-error.log"), "-g", directives]
        procs.append(Process(args, tmp_path, dict(os.environ), tmp_path / "nginx.log", stop_signal=signal.SIGQUIT))  # SIGQUIT: graceful
        procs[-1].wait_for(lambda: listening(port), "nginx")
        yield port
    finally:
        for proc in reversed(procs):
            proc.stop()
        redis.stop()


def listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def join(port: int, room: str, source: str, user: str, origin: str | None = None, forwarded: str | None = None) -> str:
    """Open the room's WebSocket through nginx from ``source`` and say hello: "welcome" or the refusal's code."""
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    headers = {"X-Forwarded-For": forwarded} if forwarded else None
    uri = f"ws://localhost:{port}/v1/rooms/{room}/ws"
    origin = Origin(origin or f"http://localhost:{port}")
    with connect(uri, sock=sock, origin=origin, additional_headers=headers, subprotocols=[Subprotocol("live.v1.json")], compression=None) as ws:
        assert ws.response is not None and ws.response.status_code == 101
        ws.send(json.dumps({"type": "hello", "id": "h", "token": token(user, room)}))
        while not (answer := [m for m in json.loads(ws.recv(timeout=10)) if m.get("id") == "h"]):
            pass
    return str(answer[0]["type"]) if answer[0]["type"] == "welcome" else str(answer[0]["error"]["code"])


@pytest.mark.timeout(INSTALL_SECONDS + 120)  # so may the install be, if it runs first
def test_proxy_passes_same_origin_websockets_and_the_clients_address(proxied: int) -> None:
    port, room = proxied, "proxied"
    base, host = f"http://127.0.0.1:{port}", {"Host": f"localhost:{port}"}
    page = httpx.get(f"{base}/viewer.html", headers=host, timeout=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), page
    created = httpx.post(f"{base}/v1/rooms", json={"id": room, "title": "Through nginx"}, headers=host | bearer(token("host1", "*", "host")), timeout=10)
    assert created.status_code == 201, created.text
    # The page's own origin (http://localhost:PORT) is accepted: nginx keeps the port in Host.
    assert join(port, room, "127.0.0.1", "v0") == "welcome"
    with pytest.raises(InvalidStatus) as refused:
        join(port, room, "127.0.0.1", "v1", origin="http://elsewhere.example")
    assert refused.value.response.status_code == 403, "other origins are still refused"
    # The nodes see each client's own address: nginx's (127.0.0.1) is exempt from address
    # limits, 127.0.0.2 is not, so its second connection to a node is refused.
    assert "rate_limited" in [join(port, room, "127.0.0.2", f"a{i}") for i in range(3)]
    assert join(port, room, "127.0.0.4", "b0") == "welcome", "another address has a bucket of its own"
    # A forged X-Forwarded-For is not believed: nginx appends the real address, the node takes it.
    assert "rate_limited" in [join(port, room, "127.0.0.3", f"c{i}", forwarded="127.0.0.1") for i in range(3)]
