"""Kernel tables: the event feed, the audit chain, scheduled jobs and idempotent replies."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Event(Model):
    """One entry of the feed: a change that the people of `audience` should hear of.

    `id` is global and strictly increasing in commit order (see `core.tx`), which is what lets a
    client resume from the last id it processed.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=64)
    audience = fields.CharField(max_length=64)
    data = fields.TextField()  # JSON, serialised once when written
    at = fields.DatetimeField()

    class Meta:
        table = "core_event"
        indexes = (("audience", "id"),)


class AuditEntry(Model):
    """An append-only, hash-chained record of a state change."""

    id = fields.BigIntField(primary_key=True)
    seq = fields.BigIntField(unique=True)
    at = fields.DatetimeField()
    actor_id = fields.IntField(null=True)
    session_id = fields.CharField(max_length=64, null=True)
    device_id = fields.IntField(null=True)
    address = fields.CharField(max_length=64, null=True)
    action = fields.CharField(max_length=64)
    record_type = fields.CharField(max_length=64)
    record_id = fields.CharField(max_length=64)
    detail = fields.TextField()  # canonical JSON
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "core_audit"
        indexes = (("record_type", "record_id"),)


class Job(Model):
    """A timed piece of work, run once across all server processes under a lease."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64)
    key = fields.CharField(max_length=128, unique=True)
    due_at = fields.DatetimeField(db_index=True)
    payload = fields.TextField(default="{}")
    state = fields.CharField(max_length=16, default="pending", db_index=True)
    attempts = fields.IntField(default=0)
    lease_owner = fields.CharField(max_length=64, null=True)
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_job"


class IdempotentReply(Model):
    """The first reply to a write carrying an `Idempotency-Key`, replayed on retries."""

    id = fields.BigIntField(primary_key=True)
    person_id = fields.IntField()
    key = fields.CharField(max_length=128)
    route = fields.CharField(max_length=128)
    status = fields.IntField()
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "core_idempotent_reply"
        unique_together = (("person_id", "key", "route"),)


class FeedHorizon(Model):
    """How far retention has cut the feed: every event with `id <= pruned_through` is gone.

    One row (id 1), created by migration 0003. It is raised in the same transaction as each batch
    of deletions, and a resume reads it after reading its events, so a reader either gets the
    events it asked for or learns that they are gone (`core.retention`), never a silent gap.
    """

    id = fields.IntField(primary_key=True)
    pruned_through = fields.BigIntField(default=0)
    pruned_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_feed_horizon"
class LimitCounter(Model):
    """Tries counted in a fixed window for one key (`login:acct:…`), shared by every process.

    See `core.ratelimit.SharedLimit`."""

    name = fields.CharField(max_length=200, primary_key=True)
    hits = fields.IntField()
    reset_at = fields.FloatField()  # epoch seconds at which the window ends and counting restarts

    class Meta:
        table = "core_limit_counter"
