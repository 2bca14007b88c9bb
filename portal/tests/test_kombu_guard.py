"""The kombu bug the guard covers, reproduced on a real Redis: a channel closed after its connection was
torn down (what the worker's consumer does when Redis goes away) with a task still unacknowledged."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.conf import settings
from kombu import Connection

from portal import kombu_guard

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="REDIS_URL is not set (CI sets it): a real broker"
)


def test_closing_a_channel_of_a_torn_down_connection_keeps_the_task_in_redis():
    kombu_guard.install()
    queue = f"guard-test-{uuid.uuid4().hex}"
    with Connection(settings.REDIS_URL) as connection:
        producer = connection.Producer()
        producer.publish({"task": "x"}, routing_key=queue, declare=[connection.SimpleQueue(queue).queue])
        channel: Any = connection.channel()  # kombu's Redis channel
        message = channel.basic_get(queue, no_ack=False)  # delivered, not acknowledged: in the unacked hash
        assert message is not None
        unacked_key = channel.unacked_key
        client = channel.client
        assert client.hexists(unacked_key, message.delivery_tag)

        connection.transport.client = None  # what kombu's Connection._close does when Redis drops

        channel.close()  # without the guard: AttributeError ('NoneType' object has no attribute 'hostname')

        assert client.hexists(unacked_key, message.delivery_tag)  # restore_visible brings it back later
        client.hdel(unacked_key, message.delivery_tag)
        client.delete(queue)
