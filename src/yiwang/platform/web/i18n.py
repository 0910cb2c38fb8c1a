"""Chinese first, English on request: the language switch and the middleware that honours only that choice.

The site speaks Chinese unless the visitor has pressed the switch in the navigation, which remembers the choice
in the language cookie for a year. The browser's Accept-Language is deliberately not consulted: a platform of a
Chinese public authority answers in Chinese by default, whatever the browser's settings.

Translations of the shared chrome (navigation, footer, home, login, workbench, search page) live in this app's
``locale/`` catalogue, with the Chinese text as the message id; ``python -m yiwang.platform.web.catalogue``
compiles the ``.po`` files into the committed ``.mo`` files (pure Python: no gettext tools needed).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

COOKIE_AGE = 365 * 24 * 3600  # seconds: the choice outlives the browser session


def supported(code: str | None) -> str | None:
    """The configured language for ``code`` (``en-us`` → ``en``), or None when the site does not offer it."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def language_of(request: HttpRequest) -> str:
    """The language a page is shown in: the visitor's remembered choice, else the site's (Chinese)."""
    return supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)) or settings.LANGUAGE_CODE


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware without the Accept-Language negotiation (see the module's docstring)."""

    def process_request(self, request: HttpRequest) -> None:
        translation.activate(language_of(request))
        request.LANGUAGE_CODE = translation.get_language()


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The navigation's switch (a POST form: CSRF-checked like every other form) → back to the page it came from."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    language = supported(request.POST.get("language"))
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
        )
    return response
