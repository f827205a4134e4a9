"""Security reporting: where browsers send Content-Security-Policy violations."""
