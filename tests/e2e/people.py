"""A person's own browser in a journey: a new context (its own cookies) signed in on the live server."""

from __future__ import annotations

PAGE_TIMEOUT_MS = 45_000  # per browser step: the machine is shared, a loaded live server answers slowly


def signed_in(browser, live_server, username: str, password: str, opened: list, *, timeout_ms: int = PAGE_TIMEOUT_MS):
    """A page of a new browser context, signed in as ``username`` and on the workbench; the context is appended to
    ``opened`` for the test to close at the end."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    opened.append(context)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")
    return page
