"""The tenant's calendar: which calendar a tenant uses, and keeping it in step with bookings."""
