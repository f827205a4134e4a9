"""The tenant admin's API (`/v1/tenant-admin/...`) and, later, dashboard (`/tenant/...`)."""
