"""Request ids (pipeline.Incoming.request_id): unique per request, in every process of `serve --workers`."""

from __future__ import annotations

import os
import random

from proxy.pipeline import Incoming


def new_id() -> str:
    return Incoming("POST", "/", {}, {}, b"", "http://p/").request_id


def test_ids_are_32_hex_digits_and_seeding_the_random_module_does_not_repeat_them():
    random.seed(7)
    first = new_id()
    random.seed(7)
    second = new_id()
    assert first != second and len(first) == 32 and int(first, 16) >= 0


def test_a_forked_child_draws_ids_of_its_own():
    new_id()  # the generator's state before the fork is the parent's
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        os.close(read)
        os.write(write, new_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child != new_id()  # the parent's next id: equal had the child kept the parent's state
