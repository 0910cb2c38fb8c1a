"""The durable, sequenced command log shared by the auction engine and the carbon order book.

- :mod:`.log`: ``append``/``read``/``lock`` — numbers and server times per stream, durable with the caller's commit.
- :mod:`.engine`: ``submit`` a command to a pure single-writer engine, ``load_state`` (snapshot + suffix),
  ``replay``, ``take_snapshot``, ``verify``, ``register_engine``.

See docs/live.md and docs/adr/0008-live-streams-and-command-log.md.
"""
