"""Tenants: slugs, API keys, key resolution and tenant settings."""
