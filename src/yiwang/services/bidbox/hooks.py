"""The port through which an owning context tells the box how to read its own bid format.

The tendering context registers, in its ``AppConfig.ready``::

    from yiwang.services.bidbox.hooks import register_summary_parser
    register_summary_parser("trading.tender", parse_tender_bid)   # (stream, file_name) -> {"price_fen": …}

Boxes of that owner context then read their public read-out fields (唱标内容) from decrypted bids with it; every
other box uses the generic JSON parser (``{"summary": {…}}``, ``domain/summary.py``).
"""

from __future__ import annotations

from yiwang.services.bidbox.domain.summary import SummaryParser, json_summary

_parsers: dict[str, SummaryParser] = {}


def register_summary_parser(owner_context: str, parser: SummaryParser) -> None:
    _parsers[owner_context] = parser


def unregister_summary_parser(owner_context: str) -> None:
    _parsers.pop(owner_context, None)


def parser_for(owner_context: str) -> SummaryParser:
    return _parsers.get(owner_context, json_summary)
