"""Chinese by default, English on request: the switch in the navigation, its cookie, and the translated chrome."""

from __future__ import annotations

import gettext

import pytest
from django.conf import settings
from django.test import Client, override_settings

from yiwang.identity.actions import do_create_account
from yiwang.kernel.actors import Actor
from yiwang.platform.web import catalogue
from yiwang.platform.web.i18n import COOKIE_AGE

pytestmark = pytest.mark.django_db

CHINESE_FIRST = [
    "yiwang.platform.web.i18n.ChineseFirstLocaleMiddleware" if m == "django.middleware.locale.LocaleMiddleware" else m
    for m in settings.MIDDLEWARE
]


def _switch(client: Client, language: str, next_url: str = "/") -> None:
    response = client.post("/language/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


def test_the_default_is_chinese(client):
    text = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in text
    assert ">首页</a>" in text
    assert 'name="language" value="en"' in text  # the switch offers English
    assert ">English</button>" in text


@override_settings(MIDDLEWARE=CHINESE_FIRST)
def test_a_browser_asking_for_english_still_gets_chinese_until_the_visitor_switches():
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    text = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in text
    assert ">首页</a>" in text
    _switch(client, "en")
    assert ">Home</a>" in client.get("/").content.decode()


def test_switching_to_english_and_back(client):
    _switch(client, "en", "/search/?q=%E9%81%93%E8%B7%AF")
    cookie = client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) == COOKIE_AGE  # remembered beyond the browser session
    assert cookie["samesite"] == "Lax"

    home = client.get("/").content.decode()
    assert '<html lang="en">' in home
    for english in ("Home", "Search", "Notices", "Trading", "Services", "Complaints", "Sign in", "Change feed"):
        assert f">{english}<" in home, english
    assert "Trading categories" in home
    assert "Shanghai Public Resources Trading Platform" in home  # the site's name in the footer
    assert ">中文</button>" in home
    assert ">首页</a>" not in home

    search = client.get("/search/").content.decode()
    assert "Filters" in search
    assert "筛选条件" not in search
    login = client.get("/accounts/login/").content.decode()
    assert "Sign in to One-Stop Trading" in login
    assert "User name" in login

    _switch(client, "zh-hans")
    home = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in home
    assert ">首页</a>" in home
    assert "Trading categories" not in home


def test_the_workbench_headings_in_english(client, clock):
    person = do_create_account(
        actor=Actor.anonymous(), username="reader", display_name="读者", password="Lang-test-2026"
    )
    client.force_login(person)
    _switch(client, "en")
    text = client.get("/workbench/").content.decode()
    assert "读者's workbench" in text
    assert "Sign out" in text
    assert "Register a market entity" in text


def test_the_switch_is_a_csrf_checked_post():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/language/", {"language": "en", "next": "/"}).status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    assert client.get("/language/").status_code == 405  # a link cannot change the language


def test_the_switch_refuses_foreign_targets_and_unknown_languages(client):
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    client.cookies.clear()
    response = client.post("/language/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_api_errors_carry_both_languages_whatever_the_page_language(api):
    api.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = api.get("/registry/entities/999999999")
    body = response.json()
    assert response.status_code == 404
    assert body["message_zh"]
    assert body["message_en"]


def test_the_committed_catalogues_are_compiled_from_their_sources():
    sources = catalogue.catalogues()
    assert sources, "no message catalogue found"
    for po in sources:
        compiled = po.with_suffix(".mo")
        assert compiled.read_bytes() == catalogue.mo_bytes(catalogue.parse_po(po.read_text(encoding="utf-8"))), (
            f"{compiled} is stale: run python -m yiwang.platform.web.catalogue"
        )
    shared = catalogue.PACKAGE / "platform" / "web" / "locale" / "en" / "LC_MESSAGES" / "django.mo"
    with shared.open("rb") as fh:  # the chrome's catalogue; each context's own holds only its pages' words
        assert gettext.GNUTranslations(fh).gettext("首页") == "Home"


def test_the_catalogue_parser_reads_contexts_continuations_and_skips_fuzzy_entries():
    text = "\n".join(
        [
            'msgid ""',
            'msgstr ""',
            '"Content-Type: text/plain; charset=UTF-8\\n"',
            "",
            "#, fuzzy",
            'msgid "草稿"',
            'msgstr "Draft"',
            "",
            'msgctxt "button"',
            'msgid "提交"',
            'msgstr "Sub"',
            '"mit"',
            "",
            'msgid "未译"',
            'msgstr ""',
        ]
    )
    messages = catalogue.parse_po(text)
    assert messages == {"": "Content-Type: text/plain; charset=UTF-8\n", "button\x04提交": "Submit"}
    with pytest.raises(catalogue.CatalogueError):
        catalogue.parse_po('msgid "a"\nmsgid_plural "b"\nmsgstr[0] "c"\n')


def test_no_word_is_translated_two_ways_by_two_catalogues():
    """Django merges every app's catalogue into one and the app listed first wins a msgid two of them translate:
    a second translation of the same Chinese (same context) would never show, and the page that wanted it reads
    the other context's word. A word that means something else on a context's pages takes a msgctxt."""
    translations: dict[str, dict[str, str]] = {}
    for po in catalogue.catalogues():
        where = str(po.parent.parent.parent.parent.relative_to(catalogue.PACKAGE))
        for msgid, text in catalogue.parse_po(po.read_text(encoding="utf-8")).items():
            if msgid:
                translations.setdefault(msgid, {})[where] = text
    two_ways = {msgid: found for msgid, found in translations.items() if len(set(found.values())) > 1}
    assert two_ways == {}, "give these a msgctxt where they mean something else, else one translation:\n" + "\n".join(
        f"{msgid.replace(chr(4), ' | ')}: {found}" for msgid, found in sorted(two_ways.items())
    )
