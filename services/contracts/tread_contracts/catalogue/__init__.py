"""The local copy of the market-intel catalogue (fed by its events): which product codes an
offer may name, and the list price in force that a line's price defaults to."""
