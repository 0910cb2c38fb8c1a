"""Test helpers: a simulated peer hub (its own key, signing batches to us), counters of what a refused batch
must not leave behind, and publishing a notice on this hub."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

from yiwang.exchange.federation import actions
from yiwang.exchange.federation.domain.messages import SIGNING_LABEL, entity_signed_bytes
from yiwang.identity.ca import queries as ca
from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.crypto import generate_private_key, signer_for
from yiwang.platform.clock import now

JIANGSU = "12320000MB0000000A"
ZHEJIANG = "12330000MB0000000E"
ANHUI = "12340000MB0000000J"


def counts() -> dict[str, int]:
    names = {
        "inbound": ("federation", "InboundMessage"),
        "notices": ("federation", "RemoteNotice"),
        "recognised": ("federation", "RecognisedEntity"),
        "entities": ("registry", "Entity"),
        "outbound": ("federation", "OutboundMessage"),
        "peers": ("federation", "Peer"),
        "witness": ("audit", "WitnessEntry"),
        "events": ("outbox", "OutboxEvent"),
        "documents": ("search", "IndexedDocument"),
    }
    return {key: apps.get_model(*model).objects.count() for key, model in names.items()}


@dataclass
class RemoteHub:
    """Another hub, simulated: it signs batches with its own key and numbers its messages."""

    code: str
    name: str
    base_url: str
    key: Any = field(default_factory=lambda: generate_private_key("sm2"))
    seq: int = 0

    @property
    def public_pem(self) -> str:
        return self.key.public_key.to_pem().decode("ascii")

    def register(self, actor: Actor | None = None):
        return actions.do_register_peer(
            actor=actor or Actor.system("test"),
            code=self.code,
            name=self.name,
            base_url=self.base_url,
            public_key=self.public_pem,
        )

    def headers(self, payload: Any, *, timestamp: str | None = None, nonce: str | None = None, key=None) -> dict:
        timestamp = timestamp or iso_utc(now())
        nonce = nonce or secrets.token_urlsafe(20)
        signer = signer_for(key or self.key)
        message = SIGNING_LABEL + ca.api_signing_input(payload, timestamp=timestamp, nonce=nonce)
        return {
            "X-Yiwang-Timestamp": timestamp,
            "X-Yiwang-Nonce": nonce,
            "X-Yiwang-Key-Id": (key or self.key).public_key.key_id,
            "X-Yiwang-Signature": base64.b64encode(signer.sign(message)).decode("ascii"),
        }

    def notice(self, n: int, *, title: str | None = None, version: int = 1, chain: str | None = None) -> dict:
        return {
            "chain": chain or f"notice:{n}",
            "notice_id": n * 10 + version,
            "version": version,
            "number": f"JS-2026-{n:04d}",
            "title": title or f"苏州工业园区第{n}号道路改造工程施工招标公告",
            "notice_type": "tender_notice",
            "category": "works",
            "region_code": "320500",
            "published_at": "2026-03-02T00:30:00+00:00",
            "url": f"{self.base_url}/notices/{n}/",
        }

    def entity(self, *, version: int = 1, key=None, **fields: Any) -> dict:
        """An ``entity.registration`` body: a registration on this hub, signed with its key (or ``key``)."""
        snapshot = {
            "home_entity_id": 7,
            "version": version,
            "kind": "legal_person",
            "uscc": "91320505MA1ABC1232",
            "status": "active",
            "verified_source": "",
            "name": "苏州示范路桥建设有限公司",
            "legal_rep_name": "周强",
            "region_code": "320505",
            "address": "苏州市虎丘区示范路 8 号",
            "registered_capital_fen": 500_000_000,
            "established_on": "2015-04-01",
            "enterprise_nature": "",
            "business_scope": "市政公用工程施工。",
            "roles": ["bidder"],
            **fields,
        }
        signer = signer_for(key or self.key)
        return {
            "entity": snapshot,
            "key_id": self.key.public_key.key_id,
            "signature": base64.b64encode(signer.sign(entity_signed_bytes(snapshot))).decode("ascii"),
        }

    def batch(self, *messages: tuple[str, dict], start: int | None = None, to: str | None = None) -> dict:
        first = self.seq + 1 if start is None else start
        items = [{"seq": first + i, "type": t, "body": b} for i, (t, b) in enumerate(messages)]
        if start is None:
            self.seq += len(items)
        return {"from": self.code, "to": to or actions.own_code(), "messages": items}

    def send(self, api: Any, payload: dict, **signing: Any):
        return api.post("/federation/inbox", payload, headers=self.headers(payload, **signing))
