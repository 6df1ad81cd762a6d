"""What the Meta channels share (WhatsApp Cloud API, Messenger, Instagram): the
X-Hub-Signature-256 check, the hub.challenge handshake, the Graph API send client with Meta's
error codes, and the Messenger/Instagram webhook models, parser and channel."""
