"""Build test worlds through the public services, never by writing rows directly."""
