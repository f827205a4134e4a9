"""Notifications: e-mails to customers and tenants, and calendar updates, as jobs."""
