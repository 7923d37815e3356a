"""The billing and credit systems: financials pulled over HTTP (with the last known values when
they are down), and their signed webhooks pushing credit, overdue and sell-in changes."""
