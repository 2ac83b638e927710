"""The message formats of the channels other than the inbox and e-mail, as their
documentation gives them, and the check of an answer. No database here.

- WeCom group robot (企业微信群机器人): ``POST <webhook>?key=…`` with
  ``{"msgtype": "text", "text": {"content": …, "mentioned_mobile_list": […]}}``; the answer
  is ``{"errcode": 0, "errmsg": "ok"}`` on success.
- DingTalk group robot (钉钉自定义机器人): ``POST <webhook>?access_token=…`` with
  ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}, "at": {"atMobiles": […]}}``;
  with "加签" the URL also carries ``timestamp`` (ms) and ``sign`` = URL-encoded base64 of
  HMAC-SHA256(secret, f"{timestamp}\\n{secret}"). A wrong signature is answered
  ``errcode`` 310000.
- SMS gateway: the administrator's request template with {phone}, {text} and {id}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .outbound import ChannelError, Response

PHONE, TEXT, ID = "{phone}", "{text}", "{id}"


@dataclass(frozen=True)
class HttpMessage:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def _json(payload: Mapping) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


def wecom_message(*, url: str, text: str, mobiles: Sequence[str]) -> HttpMessage:
    payload = {
        "msgtype": "text",
        "text": {"content": text, "mentioned_mobile_list": [m for m in mobiles if m]},
    }
    return HttpMessage("POST", url, dict(JSON_HEADERS), _json(payload))


def dingtalk_sign(*, secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest).decode())


def dingtalk_message(
    *, url: str, secret: str, title: str, text: str, mobiles: Sequence[str], timestamp_ms: int
) -> HttpMessage:
    mobiles = [m for m in mobiles if m]
    # DingTalk only rings the people whose @mobile also appears in the text.
    mentions = " ".join(f"@{m}" for m in mobiles)
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": f"{text}\n\n{mentions}".strip()},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }
    if secret:
        glue = "&" if "?" in url else "?"
        sign = dingtalk_sign(secret=secret, timestamp_ms=timestamp_ms)
        url = f"{url}{glue}timestamp={timestamp_ms}&sign={sign}"
    return HttpMessage("POST", url, dict(JSON_HEADERS), _json(payload))


def robot_answer_check(response: Response) -> None:
    """A robot answers HTTP 200 with ``errcode``; anything but 0 is a failed delivery."""
    try:
        answer = json.loads(response.body or b"{}")
    except ValueError:
        raise ChannelError(f"not JSON: {response.body[:200]!r}", status=response.status) from None
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code != 0:
        raise ChannelError(f"errcode {code}: {answer.get('errmsg', '')}", status=response.status)


# --- SMS -------------------------------------------------------------------------------
def sms_template_check(*, method: str, url: str, headers: Mapping, body: str) -> None:
    """A gateway template that cannot carry the phone number is refused (on ``body``)."""
    from .outbound import target_url_check

    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ValidationError({"headers": _("Headers must be names with text values.")})
    places = [url, body, *headers.values()]
    if not any(PHONE in place for place in places):
        raise ValidationError(
            {"body": _("The template must contain {phone}, where the number goes.")}
        )
    if not any(TEXT in place for place in places):
        raise ValidationError(
            {"body": _("The template must contain {text}, where the message goes.")}
        )
    if method not in {"GET", "POST"}:
        raise ValidationError({"method": _("Choose GET or POST.")})
    target_url_check(url.replace(PHONE, "0").replace(TEXT, "x").replace(ID, "x"), field="url")


def _fill(template: str, values: Mapping[str, str], escape) -> str:
    for placeholder, value in values.items():
        template = template.replace(placeholder, escape(value))
    return template


def sms_message(
    *, method: str, url: str, headers: Mapping[str, str], body: str, phone: str, text: str, key: str
) -> HttpMessage:
    """Fill the template: URL-encoded in the address, JSON-escaped in a JSON body,
    form-encoded in a form body, one line in a header."""
    values = {PHONE: phone, TEXT: text, ID: key}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if "json" in content_type:
        body_escape = lambda v: json.dumps(v, ensure_ascii=False)[1:-1]  # noqa: E731
    elif "form" in content_type:
        body_escape = quote_plus
    else:
        body_escape = str
    return HttpMessage(
        method,
        _fill(url, values, lambda v: quote(v, safe="")),
        {k: _fill(v, values, lambda v: " ".join(v.split())) for k, v in headers.items()},
        _fill(body, values, body_escape).encode(),
    )
