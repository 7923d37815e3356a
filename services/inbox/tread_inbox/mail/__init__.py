"""Mails: recorded before they are sent, sent once, retried when the server refused."""
