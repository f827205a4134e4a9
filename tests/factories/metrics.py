"""Reading samples from `GET /metrics` (Prometheus text), as an operator's scraper would."""

from __future__ import annotations

from typing import Any


def sample_value(text: str, sample: str) -> float:
    """The value of one sample line, e.g. `mais_x_total{a="b"}`; 0 when it is not there
    yet (a counter appears on its first increment)."""
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name == sample:
            return float(value)
    return 0.0


async def scrape(client: Any, sample: str) -> float:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return sample_value(response.text, sample)
