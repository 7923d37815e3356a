"""Mail preferences per user and kind of item: immediate, daily digest, or off."""
