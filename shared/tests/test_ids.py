import time
import uuid

from tread_shared.ids import new_id


def test_ids_are_version_7_distinct_and_sort_in_creation_order() -> None:
    before = time.time_ns() // 1_000_000
    ids = [new_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {uuid.RFC_4122}
    # The time it was made, in milliseconds, in its first 48 bits (never earlier: a burst of
    # ids within one millisecond moves the later ones' time on).
    assert ids[0].int >> 80 >= before
