"""Model providers behind one interface: OpenAI-compatible HTTP, in-process llama-cpp-python, scripted."""
