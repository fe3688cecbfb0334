"""The embedded LLM sizing engine: catalog, vectorised formulas, calc cards, lint."""
