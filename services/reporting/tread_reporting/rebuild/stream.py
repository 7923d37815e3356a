"""Reading a whole stream in order: an ephemeral pull consumer (no acks, from a start sequence)
fetched in batches, so the reader takes only what it can apply (a push consumer would pile up
messages faster than a replay applies them). Deliveries carry consecutive consumer sequences:
a gap (a message lost in transit) sets the consumer up again from the next stream sequence."""

from __future__ import annotations

import contextlib
import logging

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

log = logging.getLogger(__name__)

INACTIVE_THRESHOLD_SECONDS = 120.0


class StreamReader:
    """Every message of ``stream`` under ``subjects``, from its first, in stream order."""

    def __init__(self, js: JetStreamContext, stream: str, subjects: str) -> None:
        self.js = js
        self.stream = stream
        self.subjects = subjects
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._next_consumer_seq = 1
        self._next_stream_seq = 1

    async def __aenter__(self) -> StreamReader:
        await self._subscribe()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._unsubscribe()

    async def _subscribe(self) -> None:
        config = ConsumerConfig(
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self._next_stream_seq,
            filter_subject=self.subjects,
            inactive_threshold=INACTIVE_THRESHOLD_SECONDS,
            mem_storage=True,
        )
        self._subscription = await self.js.pull_subscribe(
            self.subjects, stream=self.stream, config=config
        )
        self._next_consumer_seq = 1

    async def _unsubscribe(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def take(self, limit: int, wait_seconds: float) -> list[Msg]:
        """Up to ``limit`` messages, in stream order; waits up to ``wait_seconds`` for any."""
        assert self._subscription is not None
        try:
            messages = await self._subscription.fetch(limit, timeout=wait_seconds)
        except (TimeoutError, NatsTimeoutError):
            return []
        taken = []
        for msg in messages:
            sequence = msg.metadata.sequence
            if sequence.consumer != self._next_consumer_seq:
                log.warning(
                    "stream %s: delivery gap before stream sequence %d; reading again from %d",
                    self.stream,
                    sequence.stream,
                    self._next_stream_seq,
                )
                await self._unsubscribe()
                await self._subscribe()
                break
            self._next_consumer_seq += 1
            self._next_stream_seq = sequence.stream + 1
            taken.append(msg)
        return taken
