"""跨区域互联（长三角）与国家平台上传: Peering between Yiwang hubs (signed messages, at-least-once delivery, catch-up)
and the national uplink.
"""
