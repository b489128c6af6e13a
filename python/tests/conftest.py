"""Shared fixtures: a work folder, and the tiny_pair pool's random-weight checkpoints
(a ~0.3M-parameter draft and a ~1M-parameter target with a byte-level tokenizer), made
once per session by a short run, as the CLI tests make them."""

import os
import tempfile
from pathlib import Path

import pytest

import specrouter


@pytest.fixture(scope="session")
def work_dir() -> Path:
    root = os.environ.get("SPECROUTER_PYTHON_TEST_WORK")
    if root:
        Path(root).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=root))
    return Path(tempfile.mkdtemp(prefix="specrouter-python-"))


def pair_overrides(work_dir: Path) -> list[str]:
    """The tiny_pair pool with its checkpoints in the work folder, a short smoke workload."""
    return ["pool=tiny_pair", f"pool.models[0].path={work_dir / 'draft'}", f"pool.models[1].path={work_dir / 'target'}",
            "workload=smoke", "workload.requests=3", "workload.max_new_tokens=10", "scheduling.warm_up=false"]


@pytest.fixture(scope="session")
def static_run(work_dir):
    """A static [draft:4>target] run; creating the checkpoints is part of it."""
    return specrouter.run_experiment(pair_overrides(work_dir) + ["method=static_draft"], output_dir=work_dir / "static")


@pytest.fixture(scope="session")
def pool(static_run, work_dir):
    return specrouter.load_pool([work_dir / "draft", work_dir / "target"])
