"""MAIS — multi-tenant embeddable booking platform."""
