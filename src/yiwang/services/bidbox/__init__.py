"""电子投标箱 the electronic sealed-submission box (``docs/trust/bidbox.md``).

Receives sealed envelopes (``yiwang.kernel.crypto.envelope``) before a deadline and opens them at the opening.
Generic: a box belongs to an opaque owner reference given by the caller (``("tender.section", "123")``), so the
tendering context (sealed bids) and the auction context (一次报价 single sealed bids) use the same service.
"""
