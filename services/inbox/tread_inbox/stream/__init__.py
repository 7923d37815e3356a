"""Push: the change sequence every item change takes a position in, and the SSE stream."""
