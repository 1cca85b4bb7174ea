"""The web dashboard in a real headless Chromium (Debian's chromium,
chromium-driver and python3-selenium): actual states, buttons that act and
badges that follow without a reload, live logs, escaped text, keyboard
tabs, errors on the page, and an API that refuses requests without the
token. Screenshots of every tab are saved under BUILD/test-results/."""
import json
import os
from pathlib import Path

import pytest
import requests
from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,
                                        StaleElementReferenceException)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from browser import chromium
from daemon import Daemon

REPO = Path(__file__).resolve().parents[2]
TEND_BIN = Path(os.environ.get('TEND_BIN', REPO / 'build' / 'tend'))
SHOTS = TEND_BIN.parent / 'test-results' / 'screenshots'
XSS = '<img src=x onerror=alert(1)>'

REGISTRY = f'''
[services.db]
category = "storage"
description = "a database stand-in"
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", args = ["1000"] }} }}
startup = {{ auto_start = true }}

[services.web]
category = "{XSS}"
dependencies = ["db"]
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "echo '{XSS} web up'; exec sleep 1000"] }} }}
startup = {{ auto_start = true }}

[services.broken]
category = "tools"
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "echo about to fail >&2; exit 3"] }} }}
startup = {{ auto_start = true, max_restarts = 0 }}

[services.echoer]
category = "tools"
deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sh", args = ["-c", "echo hello from echoer $$; exec sleep 1000"] }} }}

[actions.hello]
interpreter = "sh"
kind = "oneshot"
script = "echo hello standalone"

[actions.migrate]
interpreter = "sh"
kind = "oneshot"
script = "echo migrating; sleep 0.2"
[actions.serve]
exec = ["/bin/sleep", "1000"]
depends_on = {{ requires = ["migrate"] }}
[services.app]
category = "apps"
dependencies = ["db"]
actions = ["migrate", "serve"]
startup = {{ auto_start = true }}
'''


@pytest.fixture(scope='module')
def dash(tmp_path_factory):
    home = tmp_path_factory.mktemp('dash') / 'home'
    home.mkdir()
    cfg = home / 'services.toml'
    cfg.write_text(REGISTRY)
    d = Daemon(home, cfg, extra_args=['--http', '127.0.0.1:0']).start()
    url = (home / 'dashboard.url').read_text().strip()
    d.wait_state('web', 'running')
    d.wait_state('broken', 'failed')
    d.wait_state('app', 'running')
    yield d, url
    assert d.stop() == 0, d.output()


@pytest.fixture(scope='module')
def browser():
    driver = chromium()
    yield driver
    driver.quit()


# The page re-renders rows and lists as events arrive: an element found a
# moment ago may be gone (stale) or not there yet. Waits retry on both.
REDRAWN = (NoSuchElementException, StaleElementReferenceException)


def wait(driver, predicate, timeout=10, what='the page'):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=REDRAWN).until(lambda drv: predicate())
    except Exception:
        shoot(driver, 'failure')
        shown = driver.find_element(By.ID, 'messages').text
        raise AssertionError(f'timed out waiting for {what}; messages on the page: {shown!r}')


def click(driver, find, what='a button'):
    """Clicks what find() returns, finding it again if a re-render replaced
    it between the find and the click."""
    def attempt():
        find().click()
        return True
    wait(driver, attempt, what=what)


def tick(driver, selector):
    """Ticks a checkbox unless it is ticked, finding it again if a re-render
    replaced it: each try either sees it ticked (done) or clicks it (and
    looks again)."""
    def ticked():
        box = driver.find_element(By.CSS_SELECTOR, selector)
        if box.is_selected():
            return True
        box.click()
        return False
    wait(driver, ticked, what=f'{selector} ticked')


def row(driver, name):
    return driver.find_element(By.CSS_SELECTOR, f'#services-table .row[data-service="{name}"]')


def badge_text(driver, name):
    try:
        return row(driver, name).find_element(By.CSS_SELECTOR, '.cell.state .badge').text
    except Exception:
        return None


def open_page(driver, url, tab='services'):
    driver.get(f'{url}#{tab}')
    wait(driver, lambda: driver.find_elements(By.CSS_SELECTOR, '#services-table .row[data-service]'),
         what='the services table')


def shoot(driver, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f'{name}.png'))


def no_alert(driver):
    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_services_tab_shows_the_actual_state_not_the_wanted_one(dash, browser):
    d, url = dash
    open_page(browser, url)
    wait(browser, lambda: badge_text(browser, 'broken') == 'failed', what='broken failed')
    assert badge_text(browser, 'web') == 'running'
    assert badge_text(browser, 'db') == 'running'
    # broken is wanted running (auto_start) but it failed: the badge says failed.
    broken = row(browser, 'broken')
    assert broken.find_element(By.CSS_SELECTOR, '.wanted').text == 'wanted: spec'
    assert [b.text for b in broken.find_elements(By.CSS_SELECTOR, '.cell.actions button')] == ['Start']
    web = row(browser, 'web')
    assert [b.text for b in web.find_elements(By.CSS_SELECTOR, '.cell.actions button')] == \
        ['Stop', 'Restart', 'Kill']
    assert web.find_element(By.CSS_SELECTOR, '.cell.pid').text == str(d.call('service.status', {'name': 'web'})['pid'])
    assert 'failed' in browser.find_element(By.ID, 'summary').text
    # The token left the address bar as soon as the page had it.
    assert 'token' not in browser.current_url


def test_names_logs_and_categories_render_as_text(dash, browser):
    d, url = dash
    open_page(browser, url)
    assert row(browser, 'web').find_element(By.CSS_SELECTOR, '.cell.category').text == XSS
    click(browser, lambda: row(browser, 'web').find_element(By.CSS_SELECTOR, 'button.link'))
    wait(browser, lambda: f'{XSS} web up' in browser.find_element(By.ID, 'detail-log').text,
         what='the log line with markup in it')
    assert browser.find_elements(By.TAG_NAME, 'img') == []
    assert no_alert(browser)
    browser.find_element(By.CSS_SELECTOR, '#detail .close').click()


def test_stop_button_changes_the_badge_without_a_reload(dash, browser):
    d, url = dash
    open_page(browser, url)
    browser.execute_script('window.__same_page = true')
    wait(browser, lambda: badge_text(browser, 'app') == 'running', what='app running')
    click(browser, lambda: row(browser, 'app').find_element(By.CSS_SELECTOR, 'button[data-action=stop]'))
    wait(browser, lambda: badge_text(browser, 'app') == 'inactive', what='app inactive')
    assert d.state('app') == 'inactive'
    assert browser.execute_script('return window.__same_page') is True
    assert row(browser, 'app').find_element(By.CSS_SELECTOR, '.wanted').text == 'wanted: stop'
    # And back: Start brings it up, the badge follows again.
    click(browser, lambda: row(browser, 'app').find_element(By.CSS_SELECTOR, 'button[data-action=start]'))
    wait(browser, lambda: badge_text(browser, 'app') == 'running', what='app running again')


def test_log_view_shows_lines_printed_after_the_page_opened(dash, browser):
    d, url = dash
    open_page(browser, url, 'logs')
    browser.find_element(By.ID, 'tab-logs').click()
    box = wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, '#log-picks input[value=echoer]'),
               what='the echoer checkbox')
    box.click()
    wait(browser, lambda: box.get_attribute('data-following') == 'open', what='the log stream open')
    assert 'hello from echoer' not in browser.find_element(By.ID, 'log-view').text
    d.call('service.start', {'name': 'echoer'})
    pid = d.wait_for(lambda: d.call('service.status', {'name': 'echoer'})['pid'])
    wait(browser, lambda: f'hello from echoer {pid}' in browser.find_element(By.ID, 'log-view').text,
         what='the new line')
    line = browser.find_element(By.CSS_SELECTOR, '#log-view .line[data-service=echoer]')
    assert 'out' in line.get_attribute('class')
    # Pause holds new lines back until Resume.
    pause = browser.find_element(By.CSS_SELECTOR, '#panel-logs button[aria-pressed]')
    pause.click()
    d.call('service.restart', {'name': 'echoer'})
    pid2 = d.wait_for(lambda: (d.call('service.status', {'name': 'echoer'})['pid'] or pid) != pid
                      and d.call('service.status', {'name': 'echoer'})['pid'])
    wait(browser, lambda: pause.text.startswith('Resume (') and pause.text != 'Resume (0 new)',
         what='a held line')
    assert f'hello from echoer {pid2}' not in browser.find_element(By.ID, 'log-view').text
    pause.click()
    wait(browser, lambda: f'hello from echoer {pid2}' in browser.find_element(By.ID, 'log-view').text,
         what='the held line after Resume')
    # The search hides what does not match.
    search = browser.find_element(By.CSS_SELECTOR, '#panel-logs input[type=search]')
    search.send_keys('no such text')
    assert not line.is_displayed()
    search.clear()
    search.send_keys('x')
    search.send_keys(Keys.BACKSPACE)


def test_api_errors_appear_on_the_page(dash, browser):
    d, url = dash
    open_page(browser, url)
    wait(browser, lambda: badge_text(browser, 'db') == 'running', what='db running')
    click(browser, lambda: row(browser, 'db').find_element(By.CSS_SELECTOR, 'button[data-action=stop]'))
    message = wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, '#messages .message.error'),
                   what='an error message')
    assert 'Cannot stop db: Dependent services running' in message[0].text
    assert d.state('db') == 'running'


def test_tabs_work_from_the_keyboard(dash, browser):
    d, url = dash
    open_page(browser, url)
    services_tab = browser.find_element(By.ID, 'tab-services')
    services_tab.send_keys(Keys.ARROW_RIGHT)
    assert browser.switch_to.active_element.get_attribute('id') == 'tab-jobs'
    assert browser.find_element(By.ID, 'panel-jobs').is_displayed()
    assert not browser.find_element(By.ID, 'panel-services').is_displayed()
    browser.switch_to.active_element.send_keys(Keys.END)
    assert browser.find_element(By.ID, 'tab-events').get_attribute('aria-selected') == 'true'


def test_every_tab_renders_and_is_saved_as_a_screenshot(dash, browser):
    d, url = dash
    d.call('job.create', {'action': 'hello'})
    open_page(browser, url)
    wait(browser, lambda: badge_text(browser, 'web') == 'running', what='web running')
    shoot(browser, '1-services')
    checks = {
        'jobs': '#jobs-table tbody tr[data-job]',
        'runs': '#runs-list .card',
        'actions': '#actions-list .card',
        'graph': '#graph svg .node',
        'events': '#events-table tbody tr',
    }
    for n, (tab, selector) in enumerate(checks.items(), start=2):
        browser.find_element(By.ID, f'tab-{tab}').click()
        wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, selector), what=tab)
        shoot(browser, f'{n}-{tab}')
    # The Events tab is live: a change made now shows up at the top.
    browser.find_element(By.ID, 'tab-events').click()
    d.call('service.stop', {'name': 'echoer'})
    wait(browser, lambda: any(
        'service.wanted' in r.text and 'echoer' in r.text and '"stop"' in r.text
        for r in browser.find_elements(By.CSS_SELECTOR, '#events-table tbody tr')[:10]),
        what='the live event')
    d.call('service.start', {'name': 'echoer'})
    browser.find_element(By.ID, 'tab-graph').click()
    # The graph colours nodes by actual state.
    wait(browser, lambda: browser.find_element(
        By.CSS_SELECTOR, '#graph .node[data-service=broken] rect').get_attribute('class') == 'state-failed',
        what='the failed node')
    browser.find_element(By.ID, 'tab-logs').click()
    for name in ('web', 'broken'):
        tick(browser, f'#log-picks input[value={name}]')
    wait(browser, lambda: 'about to fail' in browser.find_element(By.ID, 'log-view').text, what='logs')
    shoot(browser, '7-logs')
    browser.find_element(By.ID, 'tab-services').click()
    click(browser, lambda: row(browser, 'app').find_element(By.CSS_SELECTOR, 'button.link'))
    wait(browser, lambda: browser.find_element(By.ID, 'detail-why').text, what='why')
    wait(browser, lambda: 'migrating' in browser.find_element(By.ID, 'detail-log').text, what='the log')
    shoot(browser, '8-service-detail')
    browser.find_element(By.CSS_SELECTOR, '#detail .close').click()
    # The dark theme, as a system set to dark gets it.
    browser.execute_cdp_cmd('Emulation.setEmulatedMedia', {
        'features': [{'name': 'prefers-color-scheme', 'value': 'dark'}]})
    try:
        background = browser.execute_script(
            'return getComputedStyle(document.body).backgroundColor')
        assert background == 'rgb(21, 22, 26)'
        shoot(browser, '9-services-dark')
    finally:
        browser.execute_cdp_cmd('Emulation.setEmulatedMedia', {'features': []})
    assert no_alert(browser)


def test_without_the_token_the_api_answers_401(dash):
    d, url = dash
    base = url.split('?')[0]
    token = url.split('token=')[1]
    call = {'jsonrpc': '2.0', 'id': 1, 'method': 'service.status_all'}
    assert requests.post(base + 'rpc', json=call).status_code == 401
    assert requests.post(base + 'rpc', json=call, headers={'Authorization': 'Bearer ' + 'x' * len(token)}).status_code == 401
    assert requests.get(base + 'events', stream=True).status_code == 401
    assert requests.get(base + 'logs/web').status_code == 401
    assert requests.get(base + 'metrics').status_code == 401
    auth = {'Authorization': f'Bearer {token}'}
    r = requests.post(base + 'rpc', json=call, headers=auth)
    assert r.status_code == 200 and len(r.json()['result']) == 5
    assert requests.get(base + 'metrics', headers=auth).status_code == 200
    # A page of another origin may not act, even with the token.
    stop = {'jsonrpc': '2.0', 'id': 2, 'method': 'service.stop', 'params': {'name': 'web'}}
    r = requests.post(base + 'rpc', json=stop, headers=dict(auth, Origin='http://evil.example'))
    assert r.status_code == 403 and d.state('web') == 'running'
    # The page itself holds no data and loads without it, with a strict policy.
    page = requests.get(base)
    assert page.status_code == 200 and 'script-src \'self\'' in page.headers['Content-Security-Policy']
    assert requests.get(base + 'assets/app.js').headers['Content-Type'].startswith('text/javascript')
    assert oct((Path(d.home) / 'dashboard.url').stat().st_mode & 0o777) == '0o600'


def test_tend_dashboard_prints_the_url(dash):
    d, url = dash
    r = d.tend('dashboard', '--no-open')
    assert (r.returncode, r.stdout) == (0, url + '\n')
    assert json.loads(d.tend('dashboard', '--json', '--no-open').stdout) == {'url': url}


def test_http_off_serves_no_dashboard(home):
    d = Daemon(home, extra_args=['--http', 'off']).start()
    try:
        assert not (home / 'dashboard.url').exists()
        r = d.tend('dashboard', '--no-open')
        assert r.returncode == 1 and 'serves no dashboard' in r.stderr
    finally:
        assert d.stop() == 0


def test_only_loopback_addresses_are_accepted(tend):
    r = tend('daemon', '--http', '0.0.0.0:9120')
    assert r.returncode == 2
    assert 'not a loopback address' in r.stderr
