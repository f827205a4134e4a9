"""Help for tenants (`/help`, the guides of docs/guides/) and the interactive API reference
(`/docs`, Swagger UI served from an installed package, and the OpenAPI description)."""
