"""Pure rules of the federation: message envelopes, what is signed, retry backoff, feed events → messages."""
