"""Events: the CloudEvents envelope, payload models, outbox, relay, consumer and catalogue."""
