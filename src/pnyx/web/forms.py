"""Reading the web's forms, and the gate every form post goes through (CSRF, signed in).

Forms post and then send the browser back (303) to the page they came from. That address
comes from the form itself, so it is only followed when it is a path on this site: anything
else ("//evil.example", "https://...", "/\\evil") would make us an open redirect.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from pnyx.db.ids import parse_id
from pnyx.web.message_pages import not_found_page, refused
from pnyx.web.session import Visitor, csrf_ok, read_form, see_other, visitor

MAX_RETURN_TO = 2000


def form_str(form: dict, key: str, default: str = "") -> str:
    """One text field; a field sent several times counts by its first value."""
    value = form.get(key, default)
    if isinstance(value, list):
        value = value[0] if value else default
    return value if isinstance(value, str) else default


def form_list(form: dict, key: str) -> list[str]:
    value = form.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def safe_return(value: str | None) -> str | None:
    """A local path to go back to, or None: only "/..." and never "//..." or "/\\...", which
    browsers would take to another host, nor anything with control characters."""
    if not value or not isinstance(value, str) or len(value) > MAX_RETURN_TO:
        return None
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    return value


def back(form: dict, fallback: str) -> Response:
    return see_other(safe_return(form_str(form, "return_to")) or fallback)


async def form_gate(
    request: Request, *, files: tuple[str, ...] = (), max_bytes: int | None = None
) -> tuple[Visitor, dict, Response | None]:
    """Every action form: (visitor, form, None) when it may go ahead, else the answer to
    send (403 without a valid CSRF token, to the sign-in page when signed out). `files`: the
    file fields of a multipart form, read as bytes (up to `max_bytes` in all)."""
    who = await visitor(request)
    if files and max_bytes is not None:
        form = await read_form(request, max_fields=60, files=files, max_bytes=max_bytes)
    else:
        form = await read_form(request, max_fields=60)
    if not csrf_ok(request, form):
        return who, form, refused(request, who)
    if who.user is None:
        return who, form, see_other("/auth/sign_in")
    return who, form, None


async def own_page_gate(request: Request) -> tuple[Visitor, int | None, Response | None]:
    """Pages about one of the visitor's posts (edit, delete): (visitor, post id, None), or
    the answer to send (to the sign-in page when signed out, 404 for a bad id)."""
    who = await visitor(request)
    if who.user is None:
        return who, None, see_other("/auth/sign_in")
    status_id = path_id(request)
    if status_id is None:
        return who, None, not_found_page(request, who)
    return who, status_id, None


async def form_gate_with_id(request: Request) -> tuple[Visitor, dict, int | None, Response | None]:
    """`form_gate` for a form about one thing (a post, a poll): also its id from the path
    (404 if it is not one)."""
    who, form, refusal = await form_gate(request)
    if refusal is not None:
        return who, form, None, refusal
    status_id = path_id(request)
    if status_id is None:
        return who, form, None, not_found_page(request, who)
    return who, form, status_id, None


def path_id(request: Request) -> int | None:
    """The `{id}` of the address, or None when it cannot be an id (the page is then 404)."""
    return parse_id(str(request.path_params.get("id", "")))
