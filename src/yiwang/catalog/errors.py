"""Errors of the catalog context that other contexts may catch."""

from __future__ import annotations

from yiwang.kernel.errors import RuleViolation


class RuleNotListed(RuleViolation):
    """The rule id is not listed in the rules catalogue in effect: it may not be enforced (``catalog.rule_not_listed``).

    Only rules listed in the 规则目录 may be used as a basis of supervision (三年行动方案第（四）项), so a lookup
    of an unlisted id is refused rather than falling back to a default.
    """

    def __init__(self, rule_id: str, on: str):
        super().__init__(
            "catalog.rule_not_listed",
            f"规则“{rule_id}”未列入 {on} 有效的规则目录，不得作为依据",
            f"rule {rule_id!r} is not listed in the rules catalogue in effect on {on} and may not be enforced",
            {"rule_id": rule_id, "on": on},
        )
