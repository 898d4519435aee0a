"""Accounts: users and their passwords, profile and language, the log-in and its limits,
e-mail normalisation (``accounts``); server-side log-in sessions and their cookie
(``sessions``); password resets by e-mailed or administrator-issued link (``resets``)."""
