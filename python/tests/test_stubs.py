"""The committed type stub of specrouter._core matches the built module (regenerate with
`PYTHONPATH=build/python .venv/bin/python -m nanobind.stubgen -m specrouter._core
-o python/specrouter/_core.pyi`)."""

import subprocess
import sys
from pathlib import Path

import pytest

STUB = Path(__file__).resolve().parents[1] / "specrouter" / "_core.pyi"


def test_core_stub_is_current(tmp_path):
    pytest.importorskip("nanobind.stubgen")
    generated = tmp_path / "_core.pyi"
    subprocess.run([sys.executable, "-m", "nanobind.stubgen", "-q", "-m", "specrouter._core", "-o", str(generated)],
                   check=True)
    assert generated.read_text() == STUB.read_text(), "python/specrouter/_core.pyi is stale: regenerate it"
