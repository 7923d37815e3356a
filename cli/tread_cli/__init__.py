"""The ``tread`` command: the whole platform on one machine, development tokens, migrations,
and what runs."""
