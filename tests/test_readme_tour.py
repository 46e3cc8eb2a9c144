"""The README's tour runs as written, top to bottom, against a development server."""

import re
import subprocess
from pathlib import Path

from tests.harness import ROOT, LiveServer


def _tour_commands() -> str:
    readme = (ROOT / "README.md").read_text()
    tour = readme[readme.index("## A 5-minute tour") : readme.index("### Many nodes")]
    blocks = re.findall(r"```sh\n(.*?)```", tour, re.S)
    assert blocks[0].strip() == "./dev serve", "the tour starts the server it then talks to"
    return "\n".join(blocks[1:])


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    srv = LiveServer(tmp_path, LIVE_TOKEN_SECRET="", LIVE_DEV="1").start()  # what ./dev serve runs
    try:
        script = _tour_commands().replace("export LIVE_URL=http://localhost:8000", f"export LIVE_URL={srv.url}")
        assert f"LIVE_URL={srv.url}" in script
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=90)
    finally:
        srv.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == "live", "went live"
    assert '{"message_id":3}' in lines, "Ana's post was accepted"
    assert "paid" in lines and '{"units":1,"revenue":{"IDR":150000},"reserved_units":0}' in lines, "the claim was confirmed and counted"
    assert "ana 1 × tee: paid" in lines, "the order is listed as paid"
    assert lines[-3:] == ["ended", "Is the blue one in stock?", ""], "the show ended with its transcript"
