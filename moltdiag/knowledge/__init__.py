"""Protocol facts moltdiag reasons with (close codes, snowflakes), kept apart from the code that uses them."""
