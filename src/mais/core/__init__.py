"""Cross-cutting infrastructure: errors, database, middleware, cache and rate limits."""
