"""评标 bid evaluation (app label ``evaluation``): committee, review, scoring, report, candidates.

See ``docs/evaluation.md`` for the contract with the tender context: the inputs (``domain.inputs``), the
entry points (``actions``) and what comes back (``queries``).
"""
