"""The document store (文件存储): content-addressed blobs (SHA-256, with SM3 alongside) under versioned documents.

Public doors for other contexts: ``actions`` (``do_store_document``, ``do_add_version``,
``do_attach_document``), ``queries`` (``get_document_for``, ``get_owned_document``, ``open_version`` …) and
``links`` (``download_url``). See ``docs/storage.md``.
"""
