import pytest

from .support import freeze_time


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the clock the id registry reads, so derived Opik ids are exact."""
    freeze_time(monkeypatch)
