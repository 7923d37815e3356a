"""The customer's business as the billing and credit systems report it: monthly sell-in per
product line, credit limit, exposure and block."""
