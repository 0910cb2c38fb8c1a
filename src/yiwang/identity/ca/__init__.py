"""CA trust list and mutual recognition (CA互认), certificate binding, signature verification and the
QR / mobile signing flow. See ``docs/trust/ca.md``."""
