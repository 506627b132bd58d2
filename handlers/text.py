"""Text folding shared by the router and the date parser (the rule lives in scoring/)."""

from scoring.plain_text import fold

__all__ = ["fold"]
