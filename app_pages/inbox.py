"""Inbox: the user's conversations, or one of them at ``?c=ID`` with its offers."""

from ui.conversations import inbox_page

inbox_page()
