"""The platform's home page at `/`."""
