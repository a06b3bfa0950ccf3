"""Reporting surfaces: notification cards, webhooks, PR comments, incident issues."""
