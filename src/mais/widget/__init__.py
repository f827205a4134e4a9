"""The customer's booking pages: the framable widget, the tenant's storefront, the
success and cancel pages, the calendar invite download and the `/embed.js` loader."""
