"""The people at an account: roles, how to reach them, what they consented to."""
