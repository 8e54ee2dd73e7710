"""API worker processes: HTTP in separate processes, in front of the one that owns the store."""
