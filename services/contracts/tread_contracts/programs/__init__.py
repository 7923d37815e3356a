"""Partnership programs: tiers with requirements and benefits, published as versions."""
