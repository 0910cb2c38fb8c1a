"""Settings, URL routing, the API root and the WSGI/ASGI entry points. The top of the dependency graph."""
