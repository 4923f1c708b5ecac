"""Zalo Official Account: signed webhook events in, OA API v3 and ZNS messages out.

The adapter only translates, as the Telegram one does: a webhook event becomes a neutral
`IncomingMessage`, the one dispatcher answers, the `Reply` objects become Zalo messages. Nothing
below `handlers/` knows Zalo exists.

The package, one concern a module: `options` (settings → ZaloOptions, ZaloRules), `events`
(signature, parsing, what an event says), `formatting` (replies → Zalo messages), `api` (HTTP,
OAuth token renewal, pictures), `channel` (inbox → dispatcher → replies), `delivery` (the
outbox's route on Zalo: cs, transaction, ZNS).

Zalo's rules, and where they come from. Zalo's developer pages (developers.zalo.me) could not be
read from here; every number is a setting (bot/settings.py, `ZaloSettings`) and docs/zalo.md
lists what the commune should check. Checked on 2026-12-04 against public pages:
- Webhook: header `X-ZEvent-Signature: mac=<hex sha256(app id + raw body + timestamp + OA secret
  key)>`, the timestamp being the body's `timestamp`; the OA secret key, not the app secret.
  Confirmed by two independent implementations (chatwoot's Zalo OA webhook job,
  app/jobs/webhooks/zalo_events_job.rb; vtsw/sample-project-backend ZaloAuthenticator.js).
  Zalo wants a 200 within about 2 s, else it retries: from secondary sources only.
- Consultation (cs) messages: POST https://openapi.zalo.me/v3.0/oa/message/cs (also
  /transaction, /promotion), header `access_token`. Zalo OA's own help desk
  (zalooa.freshdesk.com, "Các loại tin của Zalo Official Account") says: 8 free replies within
  48 h of the person's message, the count starting again with each new message; the 9th or a
  reply after 48 h counts as a proactive (quota) message; and an API message sent with only a
  `user_id` and no `message_id` also counts as proactive. Text up to 2000 characters: SDK docs
  (@warriorteam/redai-zalo-sdk on unpkg.com) only.
- ZNS: POST https://business.openapi.zalo.me/message/template {"phone", "template_id",
  "template_data", "tracking_id"} (redai SDK's ZNSService; glama.ai zalo-mcp); error codes from
  Zalo Cloud's own page zalo.cloud/zns/guidelines/handle-error-code (-108 phone invalid; the
  page accepts 84xxx and 0xxx numbers). ZNS is paid per message.
- Tokens: POST https://oauth.zaloapp.com/v4/oa/access_token, header `secret_key` (app secret),
  form refresh_token, app_id, grant_type=refresh_token; the refresh token works once and lasts
  3 months, the access token 25 h (hexasync.vn guide); we use the `expires_in` Zalo returns.
- Not confirmed by any page found: the night-time refusal 22:00–06:00 and its code (-133), the
  7 days after which transaction messages stop (-230), the codes -220, -124, -213, -227, -32.
- Buttons: a template attachment whose buttons of type `oa.query.hide` send their payload back
  as the person's text; unconfirmed, so the payload is a short token we can always recognise.
"""

from bot.channels.zalo.api import TokenKeeper, TokensBroken, ZaloApi, ZaloApiError, ZaloFiles
from bot.channels.zalo.channel import ZaloChannel, send_cs
from bot.channels.zalo.delivery import ZaloDelivery, ZaloSender
from bot.channels.zalo.events import event_key, event_signature, parse_event
from bot.channels.zalo.formatting import format_reply, message_body, zns_phone
from bot.channels.zalo.options import (
    CHANNEL,
    SIGNATURE_HEADER,
    ZaloOptions,
    ZaloRules,
    ZnsTemplate,
    options_from_settings,
)

__all__ = [
    "CHANNEL",
    "SIGNATURE_HEADER",
    "TokenKeeper",
    "TokensBroken",
    "ZaloApi",
    "ZaloApiError",
    "ZaloChannel",
    "ZaloDelivery",
    "ZaloFiles",
    "ZaloOptions",
    "ZaloRules",
    "ZaloSender",
    "ZnsTemplate",
    "event_key",
    "event_signature",
    "format_reply",
    "message_body",
    "options_from_settings",
    "parse_event",
    "send_cs",
    "zns_phone",
]
