"""Events seen per type: the first read model, covering every event type in the stream."""
