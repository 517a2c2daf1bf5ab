"""The parser of the national format (parse.py) and its validator."""

# Raise it with every change that can alter what the parser reads from a stored document: every stored version
# records the one that made it, and `nianbao reparse` reads again those an older parser made.
PARSER_VERSION = "2026.12.2"
