"""Catalog: packages, photos and add-ons, and the public, cached view of them."""
