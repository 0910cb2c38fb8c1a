"""The archive package (电子档案包), format 1: writing it and verifying it offline (pure Python, no Django).

- :mod:`.format` — names, the manifest and the signature document, path rules;
- :mod:`.writer` — the deterministic ZIP writer (streams every file, checks declared digests while copying);
- :mod:`.verify` — :func:`~.verify.verify_package`: everything an outside auditor checks, with no database.

``python -m yiwang.services.archive.package verify FILE [--keys keys.json]`` runs the verifier without Django.
The format is specified in docs/archive.md.
"""
