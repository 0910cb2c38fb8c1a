"""Pages of the federation: the regional notices and the organisations registered on peer hubs and recognised
here (everyone), and for staff,
regulators and auditors the peer hubs with their delivery state; staff administrators register peers."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from yiwang.exchange.federation import actions, queries
from yiwang.identity.ca import actions as ca_actions
from yiwang.kernel.errors import InvalidInput, YiwangError
from yiwang.platform.web.decorators import allowed

FIELDS = ("code", "name", "base_url", "public_key")


def _context(request: HttpRequest, **extra) -> dict:
    actor = getattr(request, "actor", None)
    reader = actor is not None and queries.may_read_peers(actor)
    return {
        "notices": queries.list_remote_notices_for(actor, limit=50) if actor is not None else [],
        "entities": queries.list_recognised_entities_for(actor, limit=50) if actor is not None else [],
        "peers": queries.list_peers_for(actor) if reader else None,
        "ca_proposals": queries.list_ca_proposals_for(actor, limit=50) if reader else None,
        "ca_state_labels": queries.CA_STATE_LABELS,
        "may_decide_ca": actor is not None and ca_actions.is_trust_admin(actor),
        "may_manage": actor is not None and actions.may_manage(actor),
        "identity": actions.own_identity() if reader else None,
        **extra,
    }


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "federation/index.html", _context(request))


def _form(request: HttpRequest) -> dict[str, str]:
    pasted = request.POST.get("identity", "").strip()
    if pasted:
        try:
            data = json.loads(pasted)
            return {
                "code": str(data["code"]),
                "name": str(data["name"]),
                "base_url": str(request.POST.get("base_url", "").strip() or data.get("base_url", "")),
                "public_key": str(data["public_key_pem"]),
            }
        except (ValueError, KeyError, TypeError):
            raise InvalidInput(
                "federation.identity_malformed",
                "对方平台标识文件格式错误（须为 yiwang federation identity 的输出）",
                "not an identity file (the output of `yiwang federation identity`)",
                {"field": "identity"},
            ) from None
    return {k: request.POST.get(k, "").strip() for k in FIELDS}


@require_POST
@allowed(actions.may_manage, "registering peer hubs is for staff administrators")
def register(request: HttpRequest) -> HttpResponse:
    try:
        form = _form(request)
        peer = actions.do_register_peer(actor=request.actor, **form)
    except YiwangError as exc:
        return render(request, "federation/index.html", _context(request, error=exc), status=exc.status)
    return render(request, "federation/index.html", _context(request, created=peer))


@require_POST
@allowed(ca_actions.is_trust_admin, "deciding on proposed CAs is for trust administrators")
def decide_ca(request: HttpRequest, proposal_id: int) -> HttpResponse:
    adopt = request.POST.get("decision") == "adopt"
    try:
        row = actions.do_decide_ca_proposal(
            actor=request.actor, proposal_id=proposal_id, adopt=adopt, note=request.POST.get("note", "")
        )
    except YiwangError as exc:
        return render(request, "federation/index.html", _context(request, error=exc), status=exc.status)
    return render(request, "federation/index.html", _context(request, decided=row))
