"""studyapp: spaced repetition in the terminal for Markdown interview notes."""

__version__ = "0.1.0"
