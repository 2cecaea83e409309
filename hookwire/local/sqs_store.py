"""Queue operations whose cost does not grow with the queue: an indexed message store for moto's SQS.

moto keeps each queue's messages in one list and walks all of it on every send (to compute the queue's
attributes), receive, delete and visibility change, so a backlog of 10,000 messages makes every call slow.
moto also mutates that list from concurrent server threads without a lock, so two concurrent receives
can hand out the same message. The local runtime keeps moto as the backend the functions talk to and
swaps, at start, the class of its SQS backend and of its standard queues for the subclasses below:

- every message is in exactly one state, held in an insertion-ordered dict: delayed, visible or in flight;
- two heaps (delay end, visibility end) move messages back to `visible` when their time comes, lazily,
  at the start of each operation: receive, delete and change-visibility cost O(batch · log n);
- receipt handles are indexed, so a delete is a dict lookup;
- one condition variable per queue serialises operations and wakes long-polling receivers.

What the functions rely on behaves as on SQS (and as in moto; `tests/unit/test_sqs_store.py` runs the
same checks on both): visibility timeout, DelaySeconds, ApproximateReceiveCount, redrive to the
dead-letter queue once a message has been received maxReceiveCount times, batch send and delete, and
the three ApproximateNumberOfMessages* attributes. FIFO queues keep moto's own implementation.
Not modelled (the functions don't use them): message retention expiry.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import threading
from typing import Any

from moto.core.utils import unix_time_millis
from moto.sqs.exceptions import InvalidParameterValue, ReceiptHandleIsInvalid
from moto.sqs.models import Message, Queue, SQSBackend, _filter_message_attributes, sqs_backends

MAX_TOTAL_VISIBILITY_SECONDS = 43200  # SQS: a message may stay invisible at most 12 h after it was sent


class IndexedQueue(Queue):
    """A standard queue whose messages are indexed by state, due time and receipt handle."""

    def _init_index(self, messages: list[Message]) -> None:
        self._lock = threading.Condition(threading.RLock())
        self._delayed: dict[str, Message] = {}
        self._visible: dict[str, Message] = {}
        self._in_flight: dict[str, Message] = {}
        self._delay_heap: list[tuple[float, int, str]] = []
        self._visibility_heap: list[tuple[float, int, str]] = []
        self._by_handle: dict[str, Message] = {}
        self._sequence = itertools.count()
        for message in messages:
            self._insert(message, unix_time_millis())

    # moto's Queue.__init__ and purge_queue assign `_messages`; reads return every message (any state).
    @property
    def _messages(self) -> list[Message]:
        with self._lock:
            return [*self._delayed.values(), *self._visible.values(), *self._in_flight.values()]

    @_messages.setter
    def _messages(self, messages: list[Message]) -> None:
        self._init_index(list(messages))

    def _insert(self, message: Message, now: float) -> None:
        if message.delayed_until > now:
            self._delayed[message.id] = message
            heapq.heappush(self._delay_heap, (message.delayed_until, next(self._sequence), message.id))
        else:
            self._visible[message.id] = message
        if message.receipt_handle:
            self._by_handle[message.receipt_handle] = message

    def _promote_due(self, now: float) -> None:
        """Delayed messages whose delay ended and in-flight ones whose visibility ended become visible."""
        while self._delay_heap and self._delay_heap[0][0] <= now:
            due, _, message_id = heapq.heappop(self._delay_heap)
            message = self._delayed.get(message_id)
            if message is not None and message.delayed_until == due:
                del self._delayed[message_id]
                self._visible[message_id] = message
        while self._visibility_heap and self._visibility_heap[0][0] < now:
            due, _, message_id = heapq.heappop(self._visibility_heap)
            message = self._in_flight.get(message_id)
            if message is not None and message.visible_at == due:
                del self._in_flight[message_id]
                self._visible[message_id] = message

    def _next_due_ms(self) -> float | None:
        times = [heap[0][0] for heap in (self._delay_heap, self._visibility_heap) if heap]
        return min(times) if times else None

    def _hide_until(self, message: Message, visible_at: float) -> None:
        message.visible_at = visible_at
        self._visible.pop(message.id, None)
        self._in_flight[message.id] = message
        heapq.heappush(self._visibility_heap, (visible_at, next(self._sequence), message.id))

    def add_message(self, message: Message) -> None:
        with self._lock:
            self._insert(message, unix_time_millis())
            self._lock.notify_all()

    def take(self, count: int, visibility_timeout: int, attribute_names: list[str]) -> list[Message]:
        """Receive up to `count` visible messages, redriving those received maxReceiveCount times."""
        received: list[Message] = []
        with self._lock:
            now = unix_time_millis()
            self._promote_due(now)
            while self._visible and len(received) < count:
                message_id = next(iter(self._visible))
                message = self._visible[message_id]
                if self._redrives(message):
                    self._remove(message)
                    self.dead_letter_queue.add_message(message)  # type: ignore[union-attr]
                    continue
                message.mark_received(visibility_timeout=visibility_timeout)
                self._by_handle[message.receipt_handle] = message  # type: ignore[index]
                if visibility_timeout:
                    self._hide_until(message, message.visible_at)
                else:  # visible again at once; move it behind the others
                    del self._visible[message_id]
                    self._visible[message_id] = message
                # A copy, so the filtered message attributes don't change the stored message.
                answer = copy.copy(message)
                _filter_message_attributes(answer, attribute_names)
                received.append(answer)
        return received

    def _redrives(self, message: Message) -> bool:
        policy = self.redrive_policy  # type: ignore[attr-defined]
        return bool(
            self.dead_letter_queue is not None
            and policy
            and message.approximate_receive_count >= int(policy["maxReceiveCount"])
        )

    def _remove(self, message: Message) -> None:
        for state in (self._delayed, self._visible, self._in_flight):
            state.pop(message.id, None)
        for handle in message.all_receipt_handles:
            if handle:
                self._by_handle.pop(handle, None)

    def wait_for_messages(self, timeout: float) -> None:
        """Block until a message may be visible (sent, or a delay/visibility ends) or `timeout` passes."""
        with self._lock:
            now = unix_time_millis()
            self._promote_due(now)
            if self._visible:
                return
            due = self._next_due_ms()
            wait = timeout if due is None else min(timeout, max(0.0, (due - now) / 1000))
            self._lock.wait(timeout=wait)

    def delete_message(self, receipt_handle: str) -> None:
        with self._lock:
            if receipt_handle in self.deleted_messages:
                return  # deleting twice succeeds, as on SQS
            message = self._by_handle.get(receipt_handle)
            if message is None:
                raise ReceiptHandleIsInvalid()
            self._remove(message)
            self.deleted_messages.update(h for h in message.all_receipt_handles if h)

    def change_visibility(self, receipt_handle: str, visibility_timeout: int) -> None:
        with self._lock:
            message = self._by_handle.get(receipt_handle)
            if message is None:
                raise ReceiptHandleIsInvalid()
            now = unix_time_millis()
            visible_at = now + int(visibility_timeout) * 1000
            if visible_at - message.sent_timestamp > MAX_TOTAL_VISIBILITY_SECONDS * 1000:  # type: ignore[operator]
                raise InvalidParameterValue(
                    f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
                    f"VisibilityTimeout for the message is beyond the limit [{MAX_TOTAL_VISIBILITY_SECONDS} seconds]"
                )
            if visibility_timeout:
                self._hide_until(message, visible_at)
            else:
                message.visible_at = now
                self._in_flight.pop(message.id, None)
                self._delayed.pop(message.id, None)
                self._visible[message.id] = message
                self._lock.notify_all()

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            self._promote_due(unix_time_millis())
            return list(self._visible.values())

    @property
    def approximate_number_of_messages(self) -> int:
        with self._lock:
            self._promote_due(unix_time_millis())
            return len(self._visible)

    @property
    def approximate_number_of_messages_not_visible(self) -> int:
        with self._lock:
            self._promote_due(unix_time_millis())
            return len(self._in_flight)

    @property
    def approximate_number_of_messages_delayed(self) -> int:
        with self._lock:
            self._promote_due(unix_time_millis())
            return len(self._delayed)


class IndexedSQSBackend(SQSBackend):
    """moto's SQS backend, handing standard queues' receive and visibility changes to IndexedQueue."""

    # moto finds a backend's URL routes from its class's module name.
    __module__ = SQSBackend.__module__

    def create_queue(self, name: str, tags: dict[str, str] | None = None, **kwargs: Any) -> Queue:
        queue = super().create_queue(name, tags, **kwargs)
        _index(queue)
        return queue

    def receive_message(
        self,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> list[Message]:
        queue = self.get_queue(queue_name)
        if not isinstance(queue, IndexedQueue):
            return super().receive_message(
                queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names
            )
        deadline = unix_time_millis() + wait_seconds_timeout * 1000
        while True:
            received = queue.take(count, visibility_timeout, message_attribute_names or [])
            remaining = (deadline - unix_time_millis()) / 1000
            if received or remaining <= 0:
                return received
            queue.wait_for_messages(remaining)

    def change_message_visibility(self, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None:
        queue = self.get_queue(queue_name)
        if not isinstance(queue, IndexedQueue):
            super().change_message_visibility(queue_name, receipt_handle, visibility_timeout)
            return
        queue.change_visibility(receipt_handle, visibility_timeout)


def _index(queue: Queue) -> None:
    if queue.fifo_queue or isinstance(queue, IndexedQueue):
        return
    messages = list(queue._messages)
    queue.__class__ = IndexedQueue
    queue._init_index(messages)  # type: ignore[attr-defined]


def install(account_id: str, region: str) -> SQSBackend:
    """Index the SQS backend of one account and region (and its existing standard queues) in place."""
    backend = sqs_backends[account_id][region]
    backend.__class__ = IndexedSQSBackend
    for queue in backend.queues.values():
        _index(queue)
    return backend


def uninstall(backend: SQSBackend) -> None:
    """Give the backend back its own class; its queues are dropped by moto's next reset."""
    backend.__class__ = SQSBackend
