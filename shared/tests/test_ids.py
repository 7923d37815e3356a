import os
import time
import uuid

from tread_shared.ids import new_id, random_hex


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


def test_random_hex_is_that_many_random_bytes_never_repeated() -> None:
    made = [random_hex(12) for _ in range(20_000)]  # several refills of the buffer

    assert all(len(value) == 24 and int(value, 16) >= 0 for value in made)
    assert len(set(made)) == len(made)


def test_a_forked_child_does_not_repeat_its_parents_random_bits() -> None:
    random_hex(1)  # the buffer is filled: the child gets a copy of it
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.write(writing, random_hex(16).encode())
        os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    childs = os.read(reading, 64).decode()
    os.close(reading)

    assert len(childs) == 32
    assert childs != random_hex(16)
