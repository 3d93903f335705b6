"""Runs ../shared/contract/check_outputs.py (delta-rs) on a lakehouse and returns (exit code, output).

The script runs unmodified in its own process. delta-rs 1.x aborts now and then while the interpreter
shuts down ("terminate called without an active exception", exit 134) after the checks have printed,
so the wrapper leaves with os._exit and the script's own exit code, skipping that teardown.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _find_checker() -> Path | None:
    """../shared/contract/check_outputs.py beside the checkout (CI lays shared/ next to its clone)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "contract" / "check_outputs.py"
        if candidate.is_file():
            return candidate
    return None


CHECK_OUTPUTS = _find_checker()
WRAPPER = (
    "import os, runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "code = 0\n"
    "try:\n"
    "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "except SystemExit as e:\n"
    "    code = e.code if isinstance(e.code, int) else 1\n"
    "sys.stdout.flush(); sys.stderr.flush()\n"
    "os._exit(code)\n"
)


def check_outputs(lakehouse: str, *args: str) -> tuple[int, str]:
    """(exit code, output) of the contract's checker on `lakehouse`; skips the test without the checker.

    Only the test that asks is skipped (with the reason), so a clone without shared/ beside it still
    collects and runs every other test of the module.
    """
    if CHECK_OUTPUTS is None:
        pytest.skip("shared/contract/check_outputs.py not found beside the checkout")
    proc = subprocess.run([sys.executable, "-c", WRAPPER, str(CHECK_OUTPUTS), lakehouse, *args],
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr
