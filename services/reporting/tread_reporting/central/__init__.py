"""The central-office periodic report: the state of every partnership and of each customer's
business in a month or quarter, as JSON, CSV and PDF; produced and stored once each period
closes."""
