"""Accounts: users, their profile and language, the log-in and its limits, e-mail
normalisation (``accounts``); passwords, hashed and checked (``passwords``); server-side
log-in sessions and their cookie (``sessions``); password resets by e-mailed or
administrator-issued link (``resets``)."""
