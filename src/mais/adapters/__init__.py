"""Ports to the outside world and their real and mock implementations."""
