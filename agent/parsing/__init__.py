"""The parsing layer: model text to structure (tool calls, code blocks, fences, reasoning tags).

Everything that reads what a model printed lives here; nothing here runs a tool or talks to a model.
"""
