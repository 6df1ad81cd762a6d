"""Slack: the human side. Escalation cards with action buttons, two-way threads, handoff.

Routes (point the Slack app at them, docs/slack.md):
  POST /slack/events          Events API (thread messages; url_verification)
  POST /slack/interactivity   buttons and the reply modal
"""

from channels.slack.desk import SlackDesk

__all__ = ["SlackDesk"]
