"""Broadcaster adapters (see :mod:`yiwang.platform.live.broadcast`)."""
