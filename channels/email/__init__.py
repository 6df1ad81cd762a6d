"""E-mail: SendGrid Inbound Parse, Mailgun routes, Postmark inbound and raw MIME in; SMTP,
Postmark or SendGrid out; replies threaded by Message-ID."""

from channels.email.channel import EmailChannel

__all__ = ["EmailChannel"]
