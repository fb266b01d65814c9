"""PostgreSQL reads wait for their turn in arrival order (`pnyx.db.engine.ReadGate`): a read
that ends hands its place to the oldest waiting read, never to one that came later, and a
waiting read that is cancelled gives up its place to the next."""

from __future__ import annotations

import asyncio

from pnyx.db.engine import ReadGate


def reader(gate: ReadGate, order: list[str]):
    """A read through the gate that notes when it got in, and holds its place until `hold`
    is set (if given)."""

    async def read(name: str, hold: asyncio.Event | None = None) -> None:
        async with gate:
            order.append(name)
            if hold is not None:
                await hold.wait()

    return read


def test_places_go_to_the_waiting_reads_in_arrival_order():
    async def scenario() -> list[str]:
        gate = ReadGate(1)
        order: list[str] = []
        release = asyncio.Event()
        read = reader(gate, order)

        first = asyncio.create_task(read("first", release))
        await asyncio.sleep(0)
        waiting = [asyncio.create_task(read(name)) for name in ("a", "b", "c")]
        await asyncio.sleep(0)
        release.set()
        # A newcomer arriving just as the first read ends does not overtake those waiting.
        await asyncio.sleep(0)
        late = asyncio.create_task(read("late"))
        await asyncio.gather(first, *waiting, late)
        return order

    assert asyncio.run(scenario()) == ["first", "a", "b", "c", "late"]


def test_a_cancelled_waiting_read_passes_its_place_on():
    async def scenario() -> list[str]:
        gate = ReadGate(1)
        order: list[str] = []
        release = asyncio.Event()
        read = reader(gate, order)

        first = asyncio.create_task(read("first", release))
        await asyncio.sleep(0)
        gone = asyncio.create_task(read("gone"))
        after = asyncio.create_task(read("after"))
        await asyncio.sleep(0)
        gone.cancel()
        release.set()
        await asyncio.gather(first, after)
        assert gone.cancelled()
        # And the gate is free again: a new read goes straight in.
        await asyncio.wait_for(read("again"), timeout=5)
        return order

    assert asyncio.run(scenario()) == ["first", "after", "again"]


def test_a_read_cancelled_as_its_place_came_passes_it_on():
    async def scenario() -> bool:
        gate = ReadGate(1)
        await gate.__aenter__()  # this read holds the only place
        handed = asyncio.create_task(gate.__aenter__())
        after = asyncio.create_task(gate.__aenter__())
        await asyncio.sleep(0)  # both wait
        await gate.__aexit__()  # the place goes to `handed`...
        handed.cancel()  # ...which is cancelled before it ran
        await asyncio.wait_for(after, timeout=5)  # so the next one gets it
        return handed.cancelled()

    assert asyncio.run(scenario())
