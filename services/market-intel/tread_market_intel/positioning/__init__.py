"""Price positioning: competitor prices observed against the own list price in force."""
