"""Test fixtures for every service: databases, a NATS server, tokens, running apps."""
