"""Activities with accounts (visits, calls, trainings, meetings, e-mails) and the investment
control: what was spent against what the qualification planned."""
