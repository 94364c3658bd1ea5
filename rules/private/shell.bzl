"""Shell quoting for the scripts rules generate."""

def shell_quote(text):
    """`text` as one single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"
