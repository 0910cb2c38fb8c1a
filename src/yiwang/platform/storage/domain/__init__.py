"""Pure rules of the document store: content sniffing, file names, owner references (no Django here)."""
