"""The agent core: loop, providers, tools, proposals and small-model mechanisms. Imports nothing from LSP."""
