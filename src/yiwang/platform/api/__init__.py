"""API plumbing shared by every context: errors, authentication port, idempotency keys, ETags.

Contexts declare routers with :func:`routing.creates` for POSTs that create something (adds ``Idempotency-Key``)
and :func:`routing.updates` for PATCH/PUT (documents the required ``If-Match``).
"""
