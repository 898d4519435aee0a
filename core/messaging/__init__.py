"""Messaging: conversations between a buyer and a seller about an item, their messages
(typed text and offer events) and the inbox; notifications (the bell) and the badges'
counts read on every run."""
