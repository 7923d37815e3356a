"""How fresh the answers are: ``as_of`` (the last event applied) on every answer, and how far
each consumer is behind the stream."""
