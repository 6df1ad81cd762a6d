"""Twilio SMS: verified webhooks in (messages, STOP/START/HELP, delivery receipts), replies out."""

from channels.sms.channel import TwilioSmsChannel

__all__ = ["TwilioSmsChannel"]
