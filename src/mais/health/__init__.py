"""Health and readiness endpoints for uptime monitors and load balancers."""
