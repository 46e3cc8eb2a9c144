"""The code base stays mypy-clean (strict) on rooms/ and live/."""

import subprocess
import sys

from tests.harness import ROOT


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
