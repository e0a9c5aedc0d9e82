"""Walk the HTML console in headless Chromium: sign in, create a VM from templates, stop it,
create and attach a volume, delete both (with confirmation), sign out. Screenshots are saved
under artifacts/screenshots/ for people to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.browser.conftest import PASSWORD, USER
from tests.support.server import ServerProcess


def _by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def shot(browser: Any, folder: Path, name: str) -> None:
    """A full-page screenshot: the window grows to the page's height first."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, max(700, min(int(height) + 40, 6000)))
    browser.save_screenshot(str(folder / f"{name}.png"))
    browser.set_window_size(1280, 1000)


def heading(browser: Any) -> str:
    return str(browser.find_element(_by().TAG_NAME, "h1").text)


def path_of(browser: Any) -> str:
    return urlsplit(browser.current_url).path


def click_and_wait(browser: Any, element: Any) -> None:
    """Click, then wait for the next page to be loaded: a click returns before navigation ends.

    A marker on the old page's window tells the pages apart (every navigation gets a fresh
    window object); polling while the old document is torn down may raise, so errors retry.
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("window.__occiOldPage = true")
    element.click()
    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script(
            "return !window.__occiOldPage && document.readyState === 'complete'"
        )
    )


def submit(browser: Any, form_id: str) -> None:
    click_and_wait(
        browser, browser.find_element(_by().CSS_SELECTOR, f"#{form_id} button[type=submit]")
    )


def choose(browser: Any, form_id: str, label: str, text_part: str) -> None:
    """Pick the option containing `text_part` in the select labelled `label`."""
    from selenium.webdriver.support.ui import Select

    by = _by()
    form = browser.find_element(by.ID, form_id)
    label_el = form.find_element(by.XPATH, f".//label[normalize-space(text())='{label}']")
    select = Select(form.find_element(by.ID, label_el.get_attribute("for")))
    option = next(o for o in select.options if text_part in o.text)
    select.select_by_visible_text(option.text)


def fill(browser: Any, form_id: str, name: str, value: str) -> None:
    field = browser.find_element(_by().CSS_SELECTOR, f"#{form_id} [name='{name}']")
    field.clear()
    field.send_keys(value)


def sign_in(browser: Any, server: ServerProcess, folder: Path) -> None:
    by = _by()
    browser.get(server.url + "/")
    assert path_of(browser) == "/console/login"
    assert heading(browser) == "Sign in"
    hint = browser.find_element(by.ID, "token-hint")
    assert hint.text == "from occi-server token create" and "`" not in hint.text
    assert hint.find_element(by.TAG_NAME, "code").text == "occi-server token create"
    nav = browser.find_element(by.CSS_SELECTOR, "header nav").text
    assert "Sign out" not in nav and "Sign in" in nav  # a visitor has nothing to sign out of
    shot(browser, folder, "01-login")
    browser.find_element(by.ID, "user").send_keys(USER)
    browser.find_element(by.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(by.XPATH, "//button[text()='Sign in']"))
    assert path_of(browser) == "/"
    assert heading(browser) == "All entities"
    assert "Sign out" in browser.find_element(by.CSS_SELECTOR, "header nav").text


def nav_to(browser: Any, text: str) -> None:
    nav = browser.find_element(_by().CSS_SELECTOR, "header nav")
    click_and_wait(browser, nav.find_element(_by().LINK_TEXT, text))


def delete_with_confirmation(browser: Any, folder: Path, entity_path: str, name: str) -> None:
    by = _by()
    click_and_wait(browser, browser.find_element(by.PARTIAL_LINK_TEXT, "Delete this"))
    assert heading(browser) == f"Delete {entity_path}?"
    shot(browser, folder, name)
    click_and_wait(browser, browser.find_element(by.XPATH, "//button[text()='Yes, delete']"))


def test_console_walk(browser: Any, console_server: ServerProcess, screenshots: Path) -> None:
    by = _by()
    server = console_server
    sign_in(browser, server, screenshots)

    browser.get(server.url + "/-/")
    assert heading(browser) == "Query interface"
    assert "itsy" in browser.page_source and "cores" in browser.page_source
    shot(browser, screenshots, "02-query-interface")

    # A VM from the itsy flavor and the cirros image.
    browser.get(server.url + "/compute/")
    choose(browser, "create-compute", "Resource template", "itsy")
    choose(browser, "create-compute", "OS template", "cirros")
    fill(browser, "create-compute", "occi.core.title", "walk-vm")
    shot(browser, screenshots, "03-compute-collection")
    submit(browser, "create-compute")
    vm = path_of(browser)
    assert vm.startswith("/compute/") and heading(browser).startswith("walk-vm")
    assert browser.find_element(by.CSS_SELECTOR, "h1 .state").text == "active"
    assert "itsy" in browser.page_source and "cirros" in browser.page_source

    # A floating IP from a pool chosen in a list (not typed).
    choose(
        browser, "action-alloc_float_ip", "Pool to take the address from (default: first)", "nova"
    )
    submit(browser, "action-alloc_float_ip")
    assert path_of(browser) == vm
    attributes = browser.find_element(by.CSS_SELECTOR, "section[aria-labelledby=attributes-title]")
    assert "172.24.4." in attributes.text
    shot(browser, screenshots, "03b-floating-ip")

    # Stop it: the page comes back with the new state.
    submit(browser, "action-stop")
    assert path_of(browser) == vm
    assert browser.find_element(by.CSS_SELECTOR, "h1 .state").text == "inactive"
    shot(browser, screenshots, "04-compute-stopped")
    # The guest's serial console log, on its page (the simulated guest logs its operations).
    serial = browser.find_element(by.CSS_SELECTOR, "pre.serial-log")
    assert serial.is_displayed() and "defined walk-vm" in serial.text

    # A volume, then attached from the compute's page.
    browser.get(server.url + "/storage/")
    fill(browser, "create-storage", "occi.core.title", "walk-vol")
    fill(browser, "create-storage", "occi.storage.size", "1")
    submit(browser, "create-storage")
    volume = path_of(browser)
    assert volume.startswith("/storage/") and heading(browser).startswith("walk-vol")
    shot(browser, screenshots, "05-storage-created")

    browser.get(server.url + vm)
    choose(browser, "attach", "Volume", "walk-vol")  # the project's volumes are offered
    fill(browser, "attach", "occi.storagelink.deviceid", "/dev/vdb")
    submit(browser, "attach")
    assert path_of(browser) == vm
    links = browser.find_element(by.CSS_SELECTOR, "section[aria-labelledby=links-title] table")
    assert "storagelink" in links.text and volume in links.text
    shot(browser, screenshots, "06-volume-attached")

    # The link is clickable: it leads to the volume, which shows its link back to the VM.
    click_and_wait(browser, links.find_element(by.LINK_TEXT, volume))
    assert path_of(browser) == volume

    # Security groups: made from their page, then offered to rules; links in the navigation.
    nav_to(browser, "Security groups")
    assert path_of(browser) == "/security/group/"
    fill(browser, "create-group", "_mixin_term", "web")
    fill(browser, "create-group", "_mixin_title", "Web servers")
    submit(browser, "create-group")
    assert path_of(browser) == "/security/group/"
    groups = browser.find_element(by.CSS_SELECTOR, "section[aria-labelledby=groups-title]")
    assert "Web servers" in groups.text
    shot(browser, screenshots, "06b-security-groups")
    nav_to(browser, "Security rules")
    assert path_of(browser) == "/network/security/rule/"
    assert "Web servers" in browser.find_element(by.ID, "create-rule").text
    shot(browser, screenshots, "06c-security-rules")
    nav_to(browser, "Network links")
    assert path_of(browser) == "/networklink/"
    assert "networkinterface" in browser.page_source

    browser.get(server.url + vm)
    delete_with_confirmation(browser, screenshots, vm, "07-confirm-delete")
    assert path_of(browser) == "/compute/"
    assert "walk-vm" not in browser.page_source

    browser.get(server.url + volume)
    delete_with_confirmation(browser, screenshots, volume, "08-confirm-delete-volume")
    assert path_of(browser) == "/storage/"
    assert "walk-vol" not in browser.page_source
    shot(browser, screenshots, "09-storage-after-delete")

    browser.get(server.url + "/console/logout")
    click_and_wait(browser, browser.find_element(by.XPATH, "//button[text()='Sign out']"))
    assert path_of(browser) == "/console/login"
    browser.get(server.url + "/compute/")
    assert path_of(browser) == "/console/login"


def test_console_token_sign_in_and_error_page(
    browser: Any, console_server: ServerProcess, screenshots: Path
) -> None:
    by = _by()
    server = console_server
    browser.get(server.url + "/console/login")
    browser.find_element(by.ID, "token").send_keys("not-a-token")
    click_and_wait(browser, browser.find_element(by.XPATH, "//button[text()='Sign in with token']"))
    assert "invalid or expired token" in browser.find_element(by.CSS_SELECTOR, ".message").text
    token = server.token("console", USER)
    browser.find_element(by.ID, "token").send_keys(token)
    click_and_wait(browser, browser.find_element(by.XPATH, "//button[text()='Sign in with token']"))
    assert heading(browser) == "All entities"
    browser.get(server.url + "/compute/no-such-vm")
    assert heading(browser) == "404 Not Found"
    shot(browser, screenshots, "10-error-page")
