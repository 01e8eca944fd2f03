import sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent   # the venv's scripts (nbdev_test, ...)


def tool(name: str) -> str:
    "Path of a console script installed beside this Python."
    p = BIN/name
    return str(p) if p.exists() else name


@pytest.fixture(scope='session')
def root() -> Path: return ROOT
