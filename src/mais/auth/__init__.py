"""Authentication: passwords, tokens, sessions and who may call what."""
