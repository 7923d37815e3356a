"""Rebuilding the read models: replay the stream from its first event into a new generation,
then make it the active one in a single transaction, while reads and the live consumer carry on
with the old one."""
