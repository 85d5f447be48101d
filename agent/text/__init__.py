"""Text utilities: tolerant edit matching, the one similarity measure, and ignore rules (gitignore globs)."""
