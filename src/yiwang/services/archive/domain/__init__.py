"""Pure rules of the archive: project references, retention arithmetic, holds and disposal (kernel only)."""
