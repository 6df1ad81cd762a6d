"""WhatsApp Cloud API settings: the shared Meta ones plus the template for the closed window.

Outside the 24-hour customer-service window WhatsApp delivers only approved templates. Create
one in WhatsApp Manager whose body has at most one variable, e.g. "Update on your order: {{1}}",
and name it here. With `template_text_parameter` on (the default) the reply, flattened to one
line and cut to `template_parameter_max_chars`, fills {{1}}; off, the template is sent without
parameters (its body must then have no variables). Without a template, a reply outside the
window fails (dead-lettered as "outside the 24-hour window and no template configured").
"""

from __future__ import annotations

from pydantic import Field

from channels.meta.settings import MetaSettings


class WhatsAppSettings(MetaSettings):
    template_name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_]{1,512}$",
        description="Approved template sent outside the 24-hour window",
    )
    template_language: str = Field(default="en_US", pattern=r"^[A-Za-z]{2,3}(_[A-Za-z0-9]{2,8})?$")
    template_text_parameter: bool = Field(
        default=True, description="Fill the template's one body variable {{1}} with the reply"
    )
    template_parameter_max_chars: int = Field(default=600, ge=10, le=1024)
    preview_url: bool = Field(default=True, description="Let WhatsApp preview the tracking link")
