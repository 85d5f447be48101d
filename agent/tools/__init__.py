"""The agent's tools, each with a pydantic argument model that is the single source of its JSON schema."""
