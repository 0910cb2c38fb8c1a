"""Live events: what was published to a channel, kept so that a reconnecting watcher can catch up.

The row is written in the publishing action's transaction, so an event exists exactly when the state it
describes committed. It is also the message itself for the embedded profile's database broadcaster (the live
process tails this table). Old rows are pruned (``live.prune_events``); a state channel keeps its newest.
"""

from __future__ import annotations

from django.db import models


class LiveEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    channel = models.CharField(max_length=150)
    event_id = models.BigIntegerField()
    data = models.TextField()  # compact JSON text, exactly what watchers receive as ``d``
    published_at = models.DateTimeField()

    class Meta:
        db_table = "live_event"
        constraints = [models.UniqueConstraint(fields=["channel", "event_id"], name="live_event_channel_id_uniq")]
        verbose_name = "实时事件"

    def __str__(self) -> str:
        return f"{self.channel} #{self.event_id}"
