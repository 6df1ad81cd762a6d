"""Realistic raw mails (as MTAs deliver them, CRLF line ends) shared by the e-mail tests."""

from __future__ import annotations

WISMO = "Where is my order #1001? My email is alice@example.com"


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def plain(
    *,
    sender: str = "Alice Example <alice@example.com>",
    to: str = "support@shop.example",
    subject: str = "Where is my order?",
    body: str = WISMO,
    message_id: str = "<CAF=alice.1@mail.example.com>",
    extra: str = "",
) -> bytes:
    return crlf(
        f"Return-Path: <alice@example.com>\n"
        f"From: {sender}\n"
        f"To: {to}\n"
        f"Subject: {subject}\n"
        f"Date: Mon, 3 Mar 2025 10:00:00 +0000\n"
        f"Message-ID: {message_id}\n"
        f"{extra}"
        f"MIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=utf-8\n"
        f"Content-Transfer-Encoding: 8bit\n"
        f"\n"
        f"{body}\n"
    )


# ISO-8859-1, quoted-printable, an encoded-word subject and display name (Thunderbird).
QP_LATIN1 = crlf(
    "From: =?ISO-8859-1?Q?Jos=E9_Mart=EDnez?= <jose@example.es>\n"
    "To: soporte@shop.example\n"
    "Subject: =?ISO-8859-1?Q?=BFD=F3nde_est=E1_mi_pedido=3F?=\n"
    "Date: Tue, 4 Mar 2025 09:12:00 +0100\n"
    "Message-ID: <qp.latin1@example.es>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=ISO-8859-1; format=flowed\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Hola, =BFd=F3nde est=E1 mi pedido #1002? Pagu=E9 hace una semana y no ha lle=\n"
    "gado.\n"
)

# UTF-8, base64 (Apple Mail on iOS often sends this).
BASE64_UTF8 = crlf(
    "From: =?utf-8?B?TWFyaWUgRHVwb250?= <marie@example.fr>\n"
    "To: support@shop.example\n"
    "Subject: =?utf-8?Q?O=C3=B9_est_ma_commande_=3F?=\n"
    "Message-ID: <b64.utf8@example.fr>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "T8O5IGVzdCBtYSBjb21tYW5kZSAjMTAwMyA/IE1lcmNpIOKCrA==\n"
)

# Windows-1252 labelled as ISO-8859-1 (Outlook does this): curly quotes and the euro sign.
CP1252_AS_LATIN1 = (
    b"From: Ben Carter <ben.carter@example.com>\r\n"
    b"To: support@shop.example\r\n"
    b"Subject: Order 1002\r\n"
    b"Message-ID: <cp1252@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"I paid \x8020 for \x93express\x94 shipping \x96 where is order 1002?\r\n"
)

# An unknown charset: decoded as UTF-8 with replacement, never an error.
UNKNOWN_CHARSET = crlf(
    "From: alice@example.com\n"
    "To: support@shop.example\n"
    "Subject: order\n"
    "Message-ID: <unknown.cs@example.com>\n"
    "Content-Type: text/plain; charset=x-no-such-charset\n"
    "\n"
    "Where is order 1001? Café\n"
)

HTML_ONLY = crlf(
    "From: Alice <alice@example.com>\n"
    "To: support@shop.example\n"
    "Subject: Order status\n"
    "Message-ID: <html.only@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<html><head><title>ignored title</title><style>p{color:red}</style>"
    "<script>alert('x')</script></head><body>"
    "<div>Hello,</div><p>Where is my order&nbsp;#1001?<br>My email is "
    "<a href='mailto:alice@example.com'>alice@example.com</a></p>"
    "<ul><li>Blue mug</li><li>Tea &amp; biscuits</li></ul></body></html>\n"
)

WITH_ATTACHMENTS = crlf(
    "From: Alice <alice@example.com>\n"
    "To: support@shop.example\n"
    "Subject: Damaged parcel\n"
    "Message-ID: <attach@example.com>\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/mixed; boundary="XYZ"\n'
    "\n"
    "--XYZ\n"
    'Content-Type: multipart/alternative; boundary="ALT"\n'
    "\n"
    "--ALT\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Where is order #1001? Photo attached.\n"
    "--ALT\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<p>Where is order #1001? Photo attached.</p>\n"
    "--ALT--\n"
    "--XYZ\n"
    'Content-Type: image/jpeg; name="parcel.jpg"\n'
    'Content-Disposition: attachment; filename="parcel.jpg"\n'
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8U\n"
    "--XYZ\n"
    'Content-Type: application/pdf; name="receipt.pdf"\n'
    'Content-Disposition: attachment; filename="receipt.pdf"\n'
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\n"
    "--XYZ\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: someone@else.example\n"
    "Subject: forwarded\n"
    "\n"
    "This forwarded text is not the customer's question.\n"
    "--XYZ--\n"
)

OUTLOOK_REPLY_EN = crlf(
    "From: Alice Example <alice@example.com>\n"
    "To: Demo Shop <support@shop.example>\n"
    "Subject: RE: Where is my order?\n"
    "Message-ID: <DB7PR01MB5432@DB7PR01MB5432.eurprd01.prod.outlook.com>\n"
    "In-Reply-To: <ours.1@shop.example>\n"
    "References: <CAF=alice.1@mail.example.com> <ours.1@shop.example>\n"
    "Thread-Topic: Where is my order?\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/alternative; boundary="_000_"\n'
    "\n"
    "--_000_\n"
    'Content-Type: text/plain; charset="us-ascii"\n'
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "It still has not arrived. Can you check again?\n"
    "\n"
    "Alice Example\n"
    "Sent from Outlook\n"
    "\n"
    "________________________________\n"
    "From: Demo Shop <support@shop.example>\n"
    "Sent: Monday, March 3, 2025 10:00 AM\n"
    "To: Alice Example <alice@example.com>\n"
    "Subject: Re: Where is my order?\n"
    "\n"
    "Hi Alice, your order #1001 is on its way with UPS.\n"
    "--_000_\n"
    'Content-Type: text/html; charset="us-ascii"\n'
    "\n"
    "<html><body><p>It still has not arrived.</p></body></html>\n"
    "--_000_--\n"
)

GMAIL_REPLY_ES = crlf(
    "From: Ben Carter <ben.carter@example.com>\n"
    "To: support@shop.example\n"
    "Subject: Re: Tu pedido #1002\n"
    "Message-ID: <CAGmail.es.2@mail.gmail.com>\n"
    "In-Reply-To: <ours.es@shop.example>\n"
    "References: <ours.es@shop.example>\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/alternative; boundary="000000000000abc"\n'
    "\n"
    "--000000000000abc\n"
    'Content-Type: text/plain; charset="UTF-8"\n'
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Hola, =C2=BFy cu=C3=A1ndo llega?\n"
    "\n"
    "Saludos,\n"
    "Ben\n"
    "\n"
    "El lun, 3 mar 2025 a las 10:00, Demo Shop (<support@shop.example>) escribi=C3=B3:\n"
    "\n"
    "> Hola Ben, tu pedido #1002 est=C3=A1 en camino.\n"
    ">\n"
    "--000000000000abc\n"
    'Content-Type: text/html; charset="UTF-8"\n'
    "\n"
    '<div dir=3D"ltr">Hola, =C2=BFy cu=C3=A1ndo llega?</div>\n'
    "--000000000000abc--\n"
)

SIGNATURE = plain(
    body=(
        "Where is my order #1001?\n\n-- \nAlice Example\nHead of Things, Example Inc.\n+1 555 0100"
    ),
    message_id="<sig@example.com>",
)

DSN_BOUNCE = crlf(
    "Return-Path: <>\n"
    "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\n"
    "To: support@shop.example\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Message-ID: <dsn.1@mx.example.com>\n"
    "Auto-Submitted: auto-replied\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"\n'
    "\n"
    "--DSN\n"
    "Content-Type: text/plain\n"
    "\n"
    "This is the mail system. Your message could not be delivered.\n"
    "--DSN\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.com\n"
    "\n"
    "Final-Recipient: rfc822; nobody@example.com\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "--DSN--\n"
)

OUT_OF_OFFICE = crlf(
    "From: Alice Example <alice@example.com>\n"
    "To: support@shop.example\n"
    "Subject: Automatic reply: Where is my order?\n"
    "Message-ID: <ooo.1@example.com>\n"
    "In-Reply-To: <ours.1@shop.example>\n"
    "Auto-Submitted: auto-replied\n"
    "X-Auto-Response-Suppress: All\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "I am out of the office until Monday with limited access to e-mail.\n"
)
