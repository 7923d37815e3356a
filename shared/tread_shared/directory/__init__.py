"""The account directory: each service's local copy of who owns which account, fed by the
accounts service's events and used for authorisation without calling the accounts service."""
