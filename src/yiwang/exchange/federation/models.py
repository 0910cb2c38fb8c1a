"""Peers, the outbox per peer, what was received from peers, and the cursor over the local feed."""

from __future__ import annotations

from django.db import models


class Peer(models.Model):
    """Another Yiwang hub (or the national platform) this hub exchanges messages with."""

    code = models.CharField(max_length=18, unique=True)  # its PLATFORM_CODE (the operator's USCC)
    name = models.CharField(max_length=200)
    base_url = models.CharField(max_length=300)
    kind = models.CharField(max_length=12, default="hub")  # hub: a peer hub · national: the national uplink
    wire_format = models.CharField(max_length=8, default="json")  # json · xml (legacy SOAP-style uplinks)
    public_key_pem = models.TextField()
    key_id = models.CharField(max_length=80)  # sm3:<hex> of the pinned public key
    # a CA-issued certificate for that key (subject: its PLATFORM_CODE); when set, every batch is checked
    # against it too (chain to this hub's CA trust list, validity, revocation)
    certificate_pem = models.TextField(blank=True, default="")
    # after the peer announced a key rotation: its previous key, still accepted until the overlap window ends
    previous_key_pem = models.TextField(blank=True, default="")
    previous_key_id = models.CharField(max_length=80, blank=True, default="")
    previous_key_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    registered_at = models.DateTimeField()
    registered_by = models.CharField(max_length=120)
    # sending side
    last_queued = models.BigIntegerField(default=0)  # the sequence number of the last message queued for it
    acknowledged = models.BigIntegerField(default=0)  # the highest sequence number the peer said it holds
    failures = models.PositiveIntegerField(default=0)  # failed deliveries in a row
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    last_delivered_at = models.DateTimeField(null=True, blank=True)
    # receiving side
    received = models.BigIntegerField(default=0)  # the highest sequence number applied from it
    # initial sync (首次同步): when a hub first peers (or is re-activated) what this hub holds already — its CA trust
    # list, its own organisations' registrations, its public notices, requests still waiting for it — is queued for
    # it in bounded steps; the cursor moves with the messages in one transaction (resumable, never twice)
    sync_state = models.CharField(max_length=8, blank=True, default="")  # "" never · running · done
    sync_reason = models.CharField(max_length=8, blank=True, default="")  # peered · resumed · manual
    sync_phase = models.CharField(max_length=12, blank=True, default="")  # cas · entities · notices · sites · draws
    sync_after = models.BigIntegerField(default=0)  # the phase's cursor (CA id, entity id, feed event, request row)
    sync_until = models.BigIntegerField(null=True, blank=True)  # the feed event the relay had reached at the start
    sync_looked = models.PositiveIntegerField(default=0)  # items looked at so far
    sync_queued = models.PositiveIntegerField(default=0)  # messages queued by the sync
    sync_last_seq = models.BigIntegerField(default=0)  # the last message it queued (delivered once acknowledged)
    sync_started_at = models.DateTimeField(null=True, blank=True)
    sync_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "互联平台"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class OutboundMessage(models.Model):
    """One message queued for one peer, numbered 1, 2, 3 … per peer (kept after delivery: the outbox)."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="outbound")
    seq = models.BigIntegerField()
    message_type = models.CharField(max_length=40)
    body = models.JSONField()
    source_event = models.BigIntegerField()  # the local feed event it came from
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["peer_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["peer", "seq"], name="federation_outbound_peer_seq")]
        verbose_name = "待发消息"

    def __str__(self) -> str:
        return f"→{self.peer_id} #{self.seq} {self.message_type}"


class InboundMessage(models.Model):
    """One message applied from a peer (at most once per peer and sequence number)."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="inbound")
    seq = models.BigIntegerField()
    message_type = models.CharField(max_length=40)
    body = models.JSONField()
    received_at = models.DateTimeField()
    nonce = models.CharField(max_length=128)

    class Meta:
        ordering = ["peer_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["peer", "seq"], name="federation_inbound_peer_seq")]
        verbose_name = "已收消息"

    def __str__(self) -> str:
        return f"←{self.peer_id} #{self.seq} {self.message_type}"


class SeenNonce(models.Model):
    """A request nonce a peer used (replay protection, forgotten after the window)."""

    peer = models.ForeignKey(Peer, on_delete=models.CASCADE)
    nonce = models.CharField(max_length=128)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["peer", "nonce"], name="federation_nonce_once")]

    def __str__(self) -> str:
        return f"{self.peer_id}:{self.nonce}"


class RemoteNotice(models.Model):
    """A notice of another hub (its current version), shown in this hub's regional search (一网尽览)."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="notices")
    chain = models.CharField(max_length=200)  # the home hub's key of the notice and its corrections
    notice_id = models.BigIntegerField(null=True, blank=True)  # the home hub's id of the current version
    version = models.PositiveIntegerField(default=1)
    number = models.CharField(max_length=64, blank=True, default="")
    title = models.CharField(max_length=500)
    notice_type = models.CharField(max_length=32, blank=True, default="")
    category = models.CharField(max_length=32, blank=True, default="")
    region_code = models.CharField(max_length=6, blank=True, default="")
    url = models.CharField(max_length=500, blank=True, default="")
    published_at = models.DateTimeField()
    withdrawn = models.BooleanField(default=False)
    withdraw_reason = models.CharField(max_length=500, blank=True, default="")
    received_at = models.DateTimeField()
    message_seq = models.BigIntegerField()

    class Meta:
        ordering = ["-published_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["peer", "chain"], name="federation_remote_notice_chain")]
        verbose_name = "区域公告"

    def __str__(self) -> str:
        return self.title


class UplinkRecord(models.Model):
    """A national-spec dataset record received through the national uplink (its current version), on the
    hub that plays the national platform."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="uplink_records")
    dataset = models.CharField(max_length=64)
    record_key = models.CharField(max_length=300)
    platform_code = models.CharField(max_length=18)
    version = models.PositiveIntegerField()
    data_timestamp = models.CharField(max_length=14)
    digest = models.CharField(max_length=64)
    deleted = models.BooleanField(default=False)
    record = models.JSONField(null=True, blank=True)
    received_at = models.DateTimeField()
    message_seq = models.BigIntegerField()

    class Meta:
        ordering = ["dataset", "record_key"]
        constraints = [
            models.UniqueConstraint(fields=["peer", "dataset", "record_key"], name="federation_uplink_record_key")
        ]
        verbose_name = "上传数据"

    def __str__(self) -> str:
        return f"{self.dataset} {self.record_key}"


class RecognisedEntity(models.Model):
    """An organisation registered on a peer hub (its home hub, the source of truth) and recognised here
    (一地注册、区域通用): the newest signed registration snapshot the home hub sent, and the local registry entity
    that holds it read-only (``state`` recognised), or why it is not held: an organisation registered here first
    (``local``), one held for another hub (``other_home``), or a snapshot the registry refused (``refused``)."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="entities")
    uscc = models.CharField(max_length=18)
    home_entity_id = models.BigIntegerField()
    home_version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    region_code = models.CharField(max_length=6, blank=True, default="")
    status = models.CharField(max_length=12)
    state = models.CharField(max_length=12)  # recognised · local · other_home · refused
    refusal = models.CharField(max_length=80, blank=True, default="")  # the registry's error code (refused)
    entity_id = models.BigIntegerField(null=True, blank=True)  # the local registry entity with this USCC
    snapshot = models.JSONField()  # the registration as the home hub signed it
    key_id = models.CharField(max_length=80)
    signature = models.TextField()  # base64, by the home hub's platform key over the snapshot
    signature_verified = models.BooleanField(default=False)  # checked against the key pinned when it arrived
    received_at = models.DateTimeField()
    message_seq = models.BigIntegerField()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["peer", "uscc"], name="federation_recognised_entity")]
        verbose_name = "互认主体"

    def __str__(self) -> str:
        return f"{self.name} ({self.uscc})"


class PeerCaProposal(models.Model):
    """A CA on a peer hub's trust list, proposed to this hub's trust list (CA互认名单 shared between hubs). It
    is trusted here only once a trust administrator adopts it (``state`` pending → adopted, the CA then on the
    local list with its origin in the note) or declines it; the peer's later status changes are recorded and,
    for an adopted CA that the peer suspended or removed, flagged for the administrator (``attention``)."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="ca_proposals")
    fingerprint_sha256 = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12)
    certificate_pem = models.TextField()
    mapping = models.JSONField(default=dict, blank=True)
    crl_policy = models.CharField(max_length=8)
    home_status = models.CharField(max_length=12)  # its status on the peer's list
    home_version = models.PositiveIntegerField()
    state = models.CharField(max_length=16)  # pending · adopted · declined · trusted_already
    attention = models.BooleanField(default=False)
    ca_id = models.BigIntegerField(null=True, blank=True)  # the CA on this hub's list (adopted or already there)
    decided_by = models.CharField(max_length=120, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True, default="")
    received_at = models.DateTimeField()
    message_seq = models.BigIntegerField()

    class Meta:
        ordering = ["-received_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["peer", "fingerprint_sha256"], name="federation_ca_proposal_once")
        ]
        verbose_name = "互联平台推荐的CA"

    def __str__(self) -> str:
        return f"{self.name} ({self.fingerprint_sha256[:12]}…)"


class RemoteSiteRequest(models.Model):
    """Requesting side of a remote evaluation spanning hubs (远程异地评标): a secondary site (副场) asked of a peer
    hub — one of its rooms for the window — and what the peer answered (booked and pending its approval,
    approved, rejected, refused, cancelled)."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="site_requests")
    request_id = models.CharField(max_length=32, unique=True)
    session_id = models.BigIntegerField(null=True, blank=True)  # the local venues RemoteSession (主场), if any
    owner_ref = models.CharField(max_length=120)
    room_id = models.BigIntegerField()  # the room's id on the peer
    start = models.DateTimeField()
    end = models.DateTimeField()
    seats = models.PositiveIntegerField()
    title = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=12)  # requested · pending · approved · rejected · refused · cancelled
    booking_id = models.BigIntegerField(null=True, blank=True)  # the booking's id on the peer
    answer_code = models.CharField(max_length=80, blank=True, default="")
    answer_note = models.CharField(max_length=300, blank=True, default="")
    requested_by = models.CharField(max_length=120)
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "pk"]
        verbose_name = "异地副场预约"

    def __str__(self) -> str:
        return f"{self.peer_id}:{self.request_id} {self.state}"


class HostedBooking(models.Model):
    """Receiving side: the booking made here (in the venues context) for a peer hub's secondary site, or why
    none was made (``refusal``: the venues context's code)."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="hosted_bookings")
    request_id = models.CharField(max_length=32)
    booking_id = models.BigIntegerField(null=True, blank=True, unique=True)
    refusal = models.CharField(max_length=80, blank=True, default="")
    received_at = models.DateTimeField()
    message_seq = models.BigIntegerField()

    class Meta:
        ordering = ["-received_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["peer", "request_id"], name="federation_hosted_once")]
        verbose_name = "为互联平台预约的副场"

    def __str__(self) -> str:
        return f"{self.peer_id}:{self.request_id} → {self.booking_id}"


class PeerDrawRequest(models.Model):
    """Requesting side of a cross-region expert draw (跨区域抽取专家): a draw asked of a peer hub's pool — the
    peer draws with its own rules and seed — and what it answered: sealed (the seats without names and the sealed
    digest), then the names once the draw is unsealed there (at the meeting), or refused with the code."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="draw_requests")
    request_id = models.CharField(max_length=32, unique=True)
    project_ref = models.CharField(max_length=100)
    request = models.JSONField()  # what was sent (the experts context's draw request fields)
    state = models.CharField(max_length=12)  # requested · drawn · unsealed · refused · cancelled
    draw_id = models.BigIntegerField(null=True, blank=True)  # the draw's id on the peer
    sealed_digest = models.CharField(max_length=64, blank=True, default="")
    seats = models.JSONField(default=list, blank=True)  # [{line, specialty, role, rank, name?, employer?}]
    answer_code = models.CharField(max_length=80, blank=True, default="")
    answer_note = models.CharField(max_length=300, blank=True, default="")
    requested_by = models.CharField(max_length=120)
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "pk"]
        verbose_name = "跨区域抽取请求"

    def __str__(self) -> str:
        return f"{self.peer_id}:{self.request_id} {self.state}"


class HostedDraw(models.Model):
    """Receiving side: the draw made here (in the experts context) for a peer hub, or why none was made."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="hosted_draws")
    request_id = models.CharField(max_length=32)
    draw_id = models.BigIntegerField(null=True, blank=True, unique=True)
    refusal = models.CharField(max_length=80, blank=True, default="")
    received_at = models.DateTimeField()
    message_seq = models.BigIntegerField()

    class Meta:
        ordering = ["-received_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["peer", "request_id"], name="federation_hosted_draw_once")]
        verbose_name = "为互联平台抽取"

    def __str__(self) -> str:
        return f"{self.peer_id}:{self.request_id} → {self.draw_id}"


class FeedCursor(models.Model):
    """One row (pk 1): the last local feed event looked at for the peers."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    after = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed cursor #{self.after}"
