"""The refusals of the crypto kernel: one class per situation, each with a stable code and zh/en messages.

Every class is a :class:`~yiwang.kernel.errors.YiwangError` subclass, so the API layer turns it into
``{code, message_zh, message_en, details}`` with the HTTP status of its base class. ``details`` never contains key
material, plaintext or shares.
"""

from __future__ import annotations

from typing import Any, ClassVar

from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable, YiwangError


class CryptoError(YiwangError):
    """Base of the crypto refusals. Subclasses fix ``CODE``, ``ZH`` and ``EN``; callers pass only details."""

    CODE: ClassVar[str] = "crypto.error"
    ZH: ClassVar[str] = "密码运算失败"
    EN: ClassVar[str] = "cryptographic operation failed"

    def __init__(self, details: dict[str, Any] | None = None, **more: Any):
        super().__init__(self.CODE, self.ZH, self.EN, {**(details or {}), **more})


# --- algorithms, keys, backends -------------------------------------------------------------------------------


class AlgorithmUnsupported(CryptoError, InvalidInput):
    CODE = "crypto.algorithm_unsupported"
    ZH = "不支持的密码算法或算法与密钥类型不符"
    EN = "unsupported algorithm, or the algorithm does not fit the key type"


class KeyInvalid(CryptoError, InvalidInput):
    CODE = "crypto.key_invalid"
    ZH = "密钥格式错误、不在曲线上或强度不足"
    EN = "the key is malformed, not on the curve, or too weak"


class BackendUnavailable(CryptoError, ServiceUnavailable):
    CODE = "crypto.backend_unavailable"
    ZH = "SM2 密码后端不可用或自检失败"
    EN = "the SM2 backend is not available or failed its self-test"


class PlaintextTooLong(CryptoError, InvalidInput):
    CODE = "crypto.plaintext_too_long"
    ZH = "SM2 公钥加密只用于密钥（1 至 255 字节）"
    EN = "SM2 public-key encryption is for keys only (1 to 255 bytes)"


# --- signatures, ciphertexts, keys that do not fit -------------------------------------------------------------


class SignatureInvalid(CryptoError, InvalidInput):
    CODE = "crypto.signature_invalid"
    ZH = "签名验证失败"
    EN = "the signature does not verify"


class CiphertextTampered(CryptoError, InvalidInput):
    CODE = "crypto.ciphertext_tampered"
    ZH = "密文认证失败（已被篡改或密钥不符）"
    EN = "the ciphertext failed authentication (tampered with, or the wrong key)"


class CiphertextTruncated(CryptoError, InvalidInput):
    CODE = "crypto.ciphertext_truncated"
    ZH = "密文不完整（被截断）"
    EN = "the ciphertext is incomplete (truncated)"


class WrongKey(CryptoError, InvalidInput):
    CODE = "crypto.wrong_key"
    ZH = "私钥与密文的接收者不符，无法解密"
    EN = "the private key is not one the data was encrypted to"


# --- Shamir secret sharing --------------------------------------------------------------------------------------


class ShamirParameters(CryptoError, InvalidInput):
    CODE = "crypto.shamir_parameters"
    ZH = "门限参数无效（需 2 ≤ k ≤ n ≤ 255）"
    EN = "invalid threshold parameters (need 2 <= k <= n <= 255)"


class ShareInvalid(CryptoError, InvalidInput):
    CODE = "crypto.share_invalid"
    ZH = "密钥分片无效（格式错误、已损坏或被篡改）"
    EN = "a key share is invalid (malformed, corrupted or forged)"


class SharesInsufficient(CryptoError, InvalidInput):
    CODE = "crypto.shares_insufficient"
    ZH = "密钥分片数量不足，无法恢复"
    EN = "not enough key shares to recover the secret"


class ShareSetMismatch(CryptoError, InvalidInput):
    CODE = "crypto.share_set_mismatch"
    ZH = "密钥分片不属于同一组（或不属于该开标密钥）"
    EN = "the key shares belong to different sets (or not to this opening key)"


class ShareDuplicate(CryptoError, InvalidInput):
    CODE = "crypto.share_duplicate"
    ZH = "同一序号的密钥分片提交了多次"
    EN = "the same key share index was given more than once"


# --- the sealed-bid envelope ------------------------------------------------------------------------------------


class EnvelopeMalformed(CryptoError, InvalidInput):
    CODE = "crypto.envelope_malformed"
    ZH = "不是有效的投标文件数字信封"
    EN = "not a well-formed sealed-bid envelope"


class EnvelopeVersion(CryptoError, InvalidInput):
    CODE = "crypto.envelope_version"
    ZH = "不支持的数字信封版本"
    EN = "unsupported envelope format version"


class EnvelopeTruncated(CryptoError, InvalidInput):
    CODE = "crypto.envelope_truncated"
    ZH = "数字信封不完整（被截断）"
    EN = "the envelope is incomplete (truncated)"


class EnvelopeTampered(CryptoError, InvalidInput):
    CODE = "crypto.envelope_tampered"
    ZH = "数字信封内容与摘要或认证标签不符（已被篡改）"
    EN = "the envelope does not match its digests or authentication tags (tampered with)"


class KeyCheckFailed(CryptoError, InvalidInput):
    CODE = "crypto.key_check_failed"
    ZH = "信封中封装的内容密钥与投标人签名的密钥校验值不符（封装时即已错误，责任在封装方）"
    EN = "the wrapped content key does not match the key check value the bidder signed (wrong when sealed)"


class EmptyPlaintext(CryptoError, InvalidInput):
    CODE = "crypto.empty_plaintext"
    ZH = "投标文件为空（0 字节），不予接收"
    EN = "the bid file is empty (0 bytes)"


class TooLarge(CryptoError, InvalidInput):
    CODE = "crypto.too_large"
    ZH = "文件超过允许的大小"
    EN = "the file exceeds the size limit"


class SizeMismatch(CryptoError, InvalidInput):
    CODE = "crypto.size_mismatch"
    ZH = "文件实际大小与声明的大小不符"
    EN = "the file size differs from the declared size"


class MetaInvalid(CryptoError, InvalidInput):
    CODE = "crypto.meta_invalid"
    ZH = "数字信封的元数据无效"
    EN = "invalid envelope metadata"


class RecipientsInvalid(CryptoError, InvalidInput):
    CODE = "crypto.recipients_invalid"
    ZH = "接收者列表无效（需至少一个投标人密钥和恰好一个开标密钥）"
    EN = "invalid recipients (need at least one bidder key and exactly one opening key)"


class ReceiptExists(CryptoError, Conflict):
    CODE = "crypto.receipt_exists"
    ZH = "该数字信封已有平台回执"
    EN = "the envelope already carries a platform receipt"


class ReceiptMissing(CryptoError, NotFound):
    CODE = "crypto.receipt_missing"
    ZH = "该数字信封没有平台回执"
    EN = "the envelope carries no platform receipt"


class ReceiptInvalid(CryptoError, InvalidInput):
    CODE = "crypto.receipt_invalid"
    ZH = "平台回执无效（摘要不符或签名密钥不是平台密钥）"
    EN = "the platform receipt is invalid (digest mismatch, or not signed by the platform key)"
