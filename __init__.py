"""Skiff: a coding agent for small local language models, served to editors as a language server."""

__version__ = "0.1.0"
