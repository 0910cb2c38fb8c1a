"""API shapes of the federation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class IdentityOut(Schema):
    code: str = Field(description="本平台交易平台标识码 / this hub's PLATFORM_CODE")
    name: str
    base_url: str
    key_id: str
    algorithm: str
    public_key_pem: str
    certificate_pem: str = Field("", description="本平台签名密钥的CA证书（PEM，未配置为空）/ this hub's certificate")


class PeerIn(Schema):
    code: str = Field(description="对方平台标识码（统一社会信用代码）/ the peer's PLATFORM_CODE")
    name: str = Field(max_length=200)
    base_url: str = Field(max_length=300, description="对方平台地址，如 http://127.0.0.1:8100")
    public_key: str = Field(max_length=4000, description="对方平台签名公钥（PEM）/ the peer's platform public key")
    kind: str = Field("hub", description="hub 互联平台 | national 国家平台（上传数据集）")
    wire_format: str = Field("json", description="json | xml（SOAP 风格的旧接口）")


class PeerActiveIn(Schema):
    active: bool


class PeerOut(Schema):
    code: str
    name: str
    kind: str
    wire_format: str
    base_url: str
    key_id: str
    active: bool
    registered_at: datetime
    queued: int
    acknowledged: int
    pending: int
    failures: int
    next_attempt_at: datetime | None
    last_error: str
    last_delivered_at: datetime | None
    received: int
    notices: int
    certified: bool = Field(False, description="已登记CA证书（每批消息均按证书校验）")
    sync_state: str = Field("", description="首次同步：空（未同步）、running（进行中）、done（已完成）")
    sync_reason: str = Field("", description="peered（新登记）、resumed（恢复）、manual（手动）")
    sync_phase: str = Field("", description="cas · entities · notices · sites · draws")
    sync_looked: int = 0
    sync_queued: int = 0
    sync_delivered: bool = Field(False, description="同步消息已全部送达（对方已确认）")
    sync_started_at: datetime | None = None
    sync_finished_at: datetime | None = None


class ReceiptOut(Schema):
    acknowledged: int = Field(description="本平台已持有的最大消息序号 / highest sequence number now held")
    applied: int
    duplicates: int
    expected: int | None = None


class RemoteNoticeOut(Schema):
    id: int
    hub_code: str
    hub_name: str
    chain: str
    version: int
    number: str
    title: str
    notice_type: str
    category: str
    region_code: str
    url: str
    published_at: datetime
    received_at: datetime
    withdrawn: bool


class UplinkRecordOut(Schema):
    hub_code: str
    dataset: str
    key: str
    platform_code: str
    version: int
    data_timestamp: str
    digest: str
    deleted: bool
    record: dict | None
    received_at: datetime


class RecognisedEntityOut(Schema):
    uscc: str
    name: str
    region_code: str
    status: str = Field(description="登记地平台的主体状态 active | suspended | cancelled")
    hub_code: str = Field(description="登记地平台标识码 / the home hub's PLATFORM_CODE")
    hub_name: str
    home_entity_id: int
    home_version: int
    state: str = Field(description="recognised 已互认 | local 本平台已有登记 | other_home | refused 未能互认")
    state_label: str
    refusal: str
    entity_id: int | None = Field(description="本平台主体库中的主体编号 / the registry entity here")
    signature_verified: bool
    received_at: datetime


class CaProposalOut(Schema):
    id: int
    hub_code: str
    hub_name: str
    fingerprint_sha256: str
    name: str
    kind: str
    home_status: str = Field(description="该CA在推荐平台的状态 active | suspended | removed")
    home_version: int
    state: str = Field(description="pending 待决定 | adopted 已采纳 | declined 未采纳 | trusted_already 本平台已互认")
    state_label: str
    attention: bool = Field(
        description="已采纳的CA被推荐平台暂停或移出 / adopted here, since suspended or removed there"
    )
    ca_id: int | None
    decided_at: datetime | None
    decision_note: str
    received_at: datetime


class CaDecisionIn(Schema):
    adopt: bool = Field(description="true 采纳（列入本平台CA互认名单）| false 不采纳")
    note: str = Field("", max_length=500)


class SiteRequestIn(Schema):
    peer_code: str = Field(description="对方平台标识码 / the peer hub's PLATFORM_CODE")
    room_id: int = Field(description="对方平台的场所（评标室/远程评标席位区）编号 / the room's id on the peer")
    start: datetime
    end: datetime
    seats: int = Field(ge=1, le=2000)
    owner_ref: str = Field(max_length=120, description="本平台业务对象，如 tender.section:12")
    title: str = Field("", max_length=200)
    session_id: int | None = Field(None, description="本平台远程异地评标会话（主场）编号")


class SiteRequestOut(Schema):
    request_id: str
    hub_code: str
    hub_name: str
    session_id: int | None
    owner_ref: str
    room_id: int
    start: datetime
    end: datetime
    seats: int
    title: str
    state: str = Field(
        description="requested 已发送 | pending 对方待审批 | approved | rejected | refused 未能预约 | cancelled"
    )
    booking_id: int | None = Field(description="对方平台的预约编号 / the booking's id on the peer")
    answer_code: str
    answer_note: str
    requested_at: datetime
    answered_at: datetime | None


class DrawRequestIn(Schema):
    peer_code: str = Field(description="对方平台标识码 / the peer hub whose pool is drawn")
    request: dict[str, Any] = Field(
        description="专家抽取请求（experts 上下文的字段：project_ref、kind、region_code、region_scope、meeting_start、"
        "meeting_end、lines、avoided_firms（以统一社会信用代码列明）、representatives …）"
    )


class DrawRequestOut(Schema):
    request_id: str
    hub_code: str
    hub_name: str
    project_ref: str
    state: str = Field(
        description="requested 已发送 | drawn 已抽取（密封）| unsealed 已启封 | refused 未能抽取 | cancelled"
    )
    draw_id: int | None = Field(description="对方平台的抽取编号 / the draw's id on the peer")
    sealed_digest: str
    seats: list[dict[str, Any]] = Field(description="席位（密封时不含姓名）/ seats (no names while sealed)")
    answer_code: str
    requested_at: datetime
    answered_at: datetime | None


class PeerCertificateIn(Schema):
    certificate: str = Field(
        max_length=20000, description="对方平台签名公钥的CA证书（PEM；空串为撤除）/ the peer key's certificate (PEM)"
    )
