"""Worker-side helpers for gulag-chief (standard library only, Python 3.9+)."""
