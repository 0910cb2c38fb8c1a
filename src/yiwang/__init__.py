"""Yiwang (一网交易): a unified public-resource trading platform."""

__version__ = "0.1.0"
