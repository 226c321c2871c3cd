"""The acknowledgement watermark of batch consumers: an ack never covers a delivery still being handled."""

from kit.consumer import AckWatermark


class Channel:
    """Records the acks a watermark sends (the only call it makes on a channel)."""

    def __init__(self):
        self.acks: list[tuple[int, bool]] = []

    def basic_ack(self, tag, multiple=False):
        self.acks.append((tag, multiple))


def delivered(n: int) -> tuple[AckWatermark, Channel]:
    channel = Channel()
    mark = AckWatermark(channel)
    for tag in range(1, n + 1):
        mark.delivered(tag)
    return mark, channel


def test_a_newer_batch_waits_for_the_older_one_then_one_ack_covers_both():
    mark, channel = delivered(6)
    mark.settle([4, 5, 6], ack=True)
    assert channel.acks == []
    mark.settle([1, 2, 3], ack=True)
    assert channel.acks == [(6, True)]


def test_acks_advance_only_as_far_as_the_oldest_open_delivery():
    mark, channel = delivered(5)
    mark.settle([1, 2], ack=True)
    mark.settle([4], ack=True)
    assert channel.acks == [(2, True)]
    mark.settle([3], ack=True)
    assert channel.acks == [(2, True), (4, True)]
    mark.settle([5], ack=True)
    assert channel.acks[-1] == (5, True)


def test_a_requeued_delivery_is_passed_over_and_never_acked():
    mark, channel = delivered(4)
    mark.settle([2], ack=False)
    mark.settle([1], ack=True)
    assert channel.acks == [(1, True)]
    mark.settle([4], ack=False)
    mark.settle([3], ack=True)
    assert channel.acks == [(1, True), (3, True)]


def test_nothing_is_acked_when_only_requeued_deliveries_are_settled():
    mark, channel = delivered(2)
    mark.settle([1, 2], ack=False)
    assert channel.acks == []
    mark.delivered(3)
    mark.settle([3], ack=True)
    assert channel.acks == [(3, True)]


class Message:
    def __init__(self, channel, tag):
        self.channel, self.delivery_tag = channel, tag


def test_a_batch_spanning_a_reconnection_acks_the_new_channels_deliveries():
    from kit.consumer import BatchQueueConsumer

    consumer = BatchQueueConsumer.__new__(BatchQueueConsumer)  # no container: only the acknowledgement path
    consumer._watermarks = {}
    old, new = Channel(), Channel()
    old.connection, new.connection = None, object()  # the old connection is gone
    for tag in (1, 2):
        consumer._watermark(new).delivered(tag)
    # The old channel's deliveries come first in the batch, as they were gathered first.
    consumer.ack_messages([Message(old, 7), Message(old, 8), Message(new, 1), Message(new, 2)])
    assert new.acks == [(2, True)]
    assert old.acks == []
