"""Skiff's language server: LSP plus the `skiff/*` methods of docs/protocol.md, built on pygls."""
