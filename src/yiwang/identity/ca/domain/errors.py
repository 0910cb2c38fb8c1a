"""Reason codes of the trust layer (``ca.*``) and the refusals that carry them.

A verification never answers just "no": it names the reason. The same codes are

- returned in a :class:`~yiwang.identity.ca.domain.signing.SignatureCheck` (``ok=False, reason=…``) by the
  verification service, and
- raised as :class:`CaRefused` (HTTP 422) or :class:`CaConflict` (HTTP 409) by the actions that register,
  bind or import, which then store nothing.

Pure Python.
"""

from __future__ import annotations

from typing import Any

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound

# code → (Chinese, English)
REASONS: dict[str, tuple[str, str]] = {
    # -- certificates and chains ----------------------------------------------------------------------------
    "ca.malformed": ("证书、吊销列表或签名数据格式错误", "the certificate, CRL or signature data is malformed"),
    "ca.algorithm_unsupported": (
        "不支持的签名算法（支持 SM2-SM3、ECDSA P-256/SHA-256、RSA/SHA-256）",
        "unsupported signature algorithm (SM2-SM3, ECDSA P-256/SHA-256 and RSA/SHA-256 are supported)",
    ),
    "ca.unknown_issuer": (
        "证书的签发机构不在本平台的CA互认名单中",
        "the certificate's issuer is not in the platform's CA trust list",
    ),
    "ca.untrusted": (
        "证书链不通向受信任的根CA（相关CA已移出互认名单）",
        "the chain does not lead to a trusted root CA (a CA on it was removed from the trust list)",
    ),
    "ca.ca_suspended": ("证书链中的CA已被暂停互认", "a CA on the chain is suspended"),
    "ca.expired": ("证书已过期", "the certificate has expired"),
    "ca.not_yet_valid": ("证书尚未生效", "the certificate is not valid yet"),
    "ca.revoked": ("证书已被签发机构吊销", "the certificate was revoked by its CA"),
    "ca.bad_chain_signature": (
        "证书链上的签名验证失败（证书被篡改或并非由该CA签发）",
        "a signature on the certificate chain does not verify (tampered with, or not issued by that CA)",
    ),
    "ca.not_a_ca": (
        "签发者证书不是CA证书（基本约束或密钥用途不允许签发证书）",
        "the issuer certificate is not a CA certificate (basic constraints or key usage forbid issuing)",
    ),
    "ca.key_usage": (
        "证书的密钥用途不允许数字签名",
        "the certificate's key usage does not allow digital signatures",
    ),
    "ca.crl_missing": ("尚未导入该CA的证书吊销列表", "no certificate revocation list of this CA has been imported"),
    "ca.crl_stale": (
        "该CA的证书吊销列表已过期（已过下次更新时间），请导入最新吊销列表",
        "the CA's revocation list is stale (past its nextUpdate); import a current one",
    ),
    "ca.subject_unmapped": (
        "无法从证书主题中识别统一社会信用代码或身份证号码（按该CA的主题映射规则）",
        "no USCC or resident ID found in the certificate subject (per this CA's subject mapping)",
    ),
    # -- signatures ---------------------------------------------------------------------------------------------
    "ca.signature_invalid": (
        "签名验证失败（数据已被篡改，或签名不是由该证书的私钥生成）",
        "the signature does not verify (the data was changed, or it was not made with this certificate's key)",
    ),
    "ca.wrong_entity": (
        "签名证书属于另一市场主体，与要求的主体不符",
        "the signing certificate belongs to another market entity than the one required",
    ),
    "ca.entity_not_registered": (
        "证书中的统一社会信用代码未在主体库登记",
        "the USCC in the certificate is not registered in the entity registry",
    ),
    "ca.not_bound": ("该证书未绑定到本平台的主体或个人（或已解绑）", "the certificate is not bound (or was unbound)"),
    "ca.wrong_account": (
        "该证书未绑定到发起确认的账户，也不属于该账户所代表的主体",
        "the certificate is bound neither to the account that started the challenge nor to an entity it acts for",
    ),
    "ca.replayed": ("该签名请求已使用过（重放）", "this signed request was already used (replay)"),
    "ca.timestamp_out_of_window": (
        "签名时间戳超出允许的时间窗口",
        "the signature timestamp is outside the accepted window",
    ),
    # -- challenges ------------------------------------------------------------------------------------------------
    "ca.challenge_not_found": ("签名挑战不存在", "no such signing challenge"),
    "ca.challenge_expired": ("签名挑战已过期，请刷新页面重新扫码", "the challenge has expired; start a new one"),
    "ca.challenge_used": ("签名挑战已被使用（每个挑战只能确认一次）", "the challenge was already used (single use)"),
    "ca.challenge_malformed": ("签名挑战格式错误", "the challenge text is malformed"),
    "ca.ca_not_found": ("互认名单中没有该CA", "no such CA on the trust list"),
    "ca.binding_not_found": ("没有该证书绑定", "no such certificate binding"),
    "ca.forbidden": ("无权执行该证书操作", "not allowed to perform this certificate operation"),
    "ca.account_required": ("须以个人账户登录", "a signed-in personal account is required"),
    # -- the trust list --------------------------------------------------------------------------------------------
    "ca.duplicate": ("该CA证书已在互认名单中", "this CA certificate is already in the trust list"),
    "ca.mapping_invalid": ("主题映射配置无效", "invalid subject-mapping configuration"),
    "ca.status_transition": ("不允许的CA状态变更", "this CA status change is not allowed"),
    "ca.crl_signature_invalid": (
        "吊销列表的签名验证失败（不是由该CA签发或已被篡改）",
        "the CRL signature does not verify (not issued by this CA, or tampered with)",
    ),
    "ca.crl_unknown_issuer": ("吊销列表的签发机构不在互认名单中", "the CRL's issuer is not in the trust list"),
    "ca.crl_outdated": (
        "该吊销列表不比已导入的更新（CRL 序号或本次更新时间更早）",
        "this CRL is not newer than the one already imported (lower CRL number or earlier thisUpdate)",
    ),
    "ca.crl_duplicate": ("该吊销列表已导入", "this CRL was already imported"),
    "ca.already_bound": ("该证书已绑定", "this certificate is already bound"),
    "ca.binding_subject": (
        "证书主题类型与绑定对象不符（单位证书绑定到主体，个人证书绑定到账户）",
        "the certificate subject does not fit the binding (organisation certificates bind to entities, "
        "personal ones to accounts)",
    ),
}


def reason_text(code: str) -> tuple[str, str]:
    return REASONS.get(code, (code, code))


class CaRefused(InvalidInput):
    """A ``ca.*`` refusal (HTTP 422): the input fails a trust check."""

    def __init__(self, code: str, details: dict[str, Any] | None = None, **more: Any):
        zh, en = reason_text(code)
        super().__init__(code, zh, en, {**(details or {}), **more})


class CaConflict(Conflict):
    """A ``ca.*`` conflict with existing state (HTTP 409): duplicates, used challenges, status changes."""

    def __init__(self, code: str, details: dict[str, Any] | None = None, **more: Any):
        zh, en = reason_text(code)
        super().__init__(code, zh, en, {**(details or {}), **more})


class CaNotFound(NotFound):
    def __init__(self, code: str, details: dict[str, Any] | None = None, **more: Any):
        zh, en = reason_text(code)
        super().__init__(code, zh, en, {**(details or {}), **more})
