"""The server-rendered dashboards: `/tenant/...` (tenant admin), `/admin/...` (platform
admin)."""
