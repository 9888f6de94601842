"""Shared helpers of the torch suite: the repository, the native genlab CLI, raw float32 files
and a 2-process launcher. Run from the repository root: python3 -m pytest python/tests"""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON_DIR = os.path.join(REPO, "python")
GENLAB = os.environ.get("GENLAB_BIN", os.path.join(REPO, "build", "native", "genlab"))
sys.path.insert(0, PYTHON_DIR)

DIFFS = {}  # test label -> max abs diff, printed at the end of the run


def genlab(*args, cwd=REPO, check=True):
    """Runs the native CLI; a missing binary fails the test (never a skip)."""
    assert os.access(GENLAB, os.X_OK), f"{GENLAB} not built: run `bash scripts/setup.sh` first"
    result = subprocess.run([GENLAB, *map(str, args)], cwd=cwd, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, f"genlab {' '.join(map(str, args))} failed:\n{result.stderr}"
    return result


def train(nproc, *args, check=True):
    """python/train.py in `nproc` processes through python/launch.py (gloo, CPU)."""
    cmd = [sys.executable, os.path.join(PYTHON_DIR, "launch.py"), "--nproc_per_node", str(nproc),
           os.path.join(PYTHON_DIR, "train.py"), *map(str, args), "--device", "cpu"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:  # a hang: every rank prints its stack, then all of them go
        os.killpg(proc.pid, signal.SIGUSR1)
        time.sleep(2)
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} hung for 300 s:\n{stdout}\n{stderr}")
    result = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    if check:
        assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def write_f32(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)
    return path


def read_f32(path, cols):
    return np.fromfile(path, dtype="<f4").reshape(-1, cols)


def shipped_files():
    """Every weights file the repository ships (weights/manifest.json), with its model kind."""
    with open(os.path.join(REPO, "weights", "manifest.json")) as f:
        return [(e["file"], e["model"]) for e in json.load(f)["files"]]


def record_diff(label, value):
    DIFFS[label] = float(value)


def pytest_terminal_summary(terminalreporter):
    if DIFFS:
        terminalreporter.write_sep("-", "max abs difference, PyTorch twin vs GenLab")
        for label, value in DIFFS.items():
            terminalreporter.write_line(f"{label:<48} {value:.2e}")


@pytest.fixture
def tmp(tmp_path):
    return tmp_path
