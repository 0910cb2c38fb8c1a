"""Live updates over server-sent events (docs/live.md, docs/adr/0008).

Django side: ``yiwang.platform.live.publish.publish(channel, event_id, data)`` in an action (broadcast after
commit); ``yiwang.platform.live.links.live_url(request, channel)`` for pages; ``{% load live %}{% live_url … %}``.
Live server: ``yiwang.platform.live.asgi:app`` (Starlette under uvicorn, ``python -m yiwang.platform.live.serve``).
Browser: ``static/live/live.js`` (``YiwangLive.open(url, handlers)``).
"""
