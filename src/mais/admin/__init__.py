"""The platform admin's API (`/v1/admin/...`) and, later, dashboard (`/admin/...`)."""
