"""Who wants to hear about which part of the market."""
