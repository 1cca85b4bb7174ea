#!/usr/bin/python3
"""bench_dashboard.py N — the dashboard with N running services, in headless
Chromium (Debian's chromium and chromium-driver, python3-selenium).

Prints one JSON line:
  first_render_s    navigation start -> N rows in the Services tab, each with its
                    state badge (the page's own clock, performance.now())
  status_all_bytes  the size of the one service.status_all answer the page loads
  stop_to_badge_s   a Stop click -> that row's badge says "inactive" (event stream,
                    then one status_all, then the row's cells)
  filter_s          typing a filter -> rows hidden (responsiveness of the tab)
Run from the repository root after `make`; TEND_BIN overrides build/tend.
"""
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests' / 'system'))
from browser import chromium  # noqa: E402
from daemon import Daemon  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


def main(n):
    home = Path(tempfile.mkdtemp(prefix='bench-dash-'))
    cfg = home / 'services.toml'
    with open(cfg, 'w') as f:
        for i in range(n):
            f.write(f'[services.svc{i}]\ncategory = "group{i % 10}"\n'
                    f'deployment = {{ mode = "binary", binary = {{ binary_path = "/bin/sleep", '
                    f'args = ["7000{i % 10}"] }} }}\nstartup = {{ auto_start = true }}\n')
    d = Daemon(home, cfg, extra_args=['--http', '127.0.0.1:0']).start(timeout=60)
    try:
        while sum(s['state'] == 'running' for s in d.call('service.status_all')) < n:
            time.sleep(0.05)
        url = (home / 'dashboard.url').read_text().strip()
        b = chromium()
        result = {'n': n}
        try:
            b.get(url)
            rows = 'document.querySelectorAll("#services-table .row[data-service] .badge").length'
            while b.execute_script(f'return {rows}') < n:
                time.sleep(0.01)
            result['first_render_s'] = round(b.execute_script('return performance.now()') / 1000, 3)
            result['status_all_bytes'] = len(json.dumps(d.call('service.status_all')))
            target = 'svc500' if n > 500 else 'svc0'
            b.execute_script('window.__t0 = performance.now()')
            b.find_element(By.CSS_SELECTOR, f'#services-table [data-service={target}] button[data-action=stop]').click()
            badge = f'document.querySelector("#services-table [data-service={target}] .badge").textContent'
            while b.execute_script(f'return {badge}') != 'inactive':
                time.sleep(0.005)
            result['stop_to_badge_s'] = round(b.execute_script('return (performance.now() - window.__t0) / 1000'), 3)
            t0 = time.monotonic()
            b.find_element(By.CSS_SELECTOR, '#panel-services input[type=search]').send_keys('group3')
            visible = 'document.querySelectorAll("#services-table .row[data-service]:not([hidden])").length'
            while b.execute_script(f'return {visible}') != n // 10:
                time.sleep(0.005)
            result['filter_s'] = round(time.monotonic() - t0, 3)
        finally:
            b.quit()
        print(json.dumps(result))
    finally:
        d.stop(timeout=60)


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
