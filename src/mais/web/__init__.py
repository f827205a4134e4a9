"""Server-rendered pages: the shared Jinja2 environment."""
