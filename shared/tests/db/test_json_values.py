"""A JSON column's text reads back as ``json.loads`` would read it (``engine.json_value``)."""

from __future__ import annotations

import json
import math
import random

import pytest

from tread_shared.db.engine import json_text, json_value

DOCUMENTS = [
    '{"tiers": [{"code": "gold", "rebate_pct": "2.5", "min_scores": {"LP1": 80}}]}',
    '{"a": 1, "a": 2}',
    "123456789012345678901234567890",
    '"Pneus Sud-Est \\u00e9 \\ud83d\\ude9b"',
    "[1e400, -1e400, 0.1, -0.0, 1.0, 5e-324]",
    '{"nested": {"deeper": [[], {}, null, true, false, ""]}}',
    "NaN",
    "[Infinity, -Infinity]",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_a_document_reads_as_json_loads_reads_it(text: str) -> None:
    ours, theirs = json_value(text), json.loads(text)
    if isinstance(theirs, float) and math.isnan(theirs):
        assert math.isnan(ours)
    else:
        assert ours == theirs and type(ours) is type(theirs)


def test_numbers_read_back_exactly() -> None:
    rng = random.Random(12)
    values = [rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-30, 30) for _ in range(20_000)]
    values += [rng.randint(-(2**70), 2**70) for _ in range(2_000)]
    assert json_value(json_text(values)) == values == json.loads(json.dumps(values))
