"""Resource requests of a plan (money, visits, hours, people-days), their arbitration by the
district manager, and what is committed against them."""
