"""Pure domain logic: no Textual, no SQLAlchemy, no clock (see tests/unit/test_layers.py)."""
