"""Debian's headless Chromium through chromedriver and Selenium, set up the
one way the browser tests and bench/bench_dashboard.py both use."""
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--no-first-run', '--window-size=1400,1000', '--disable-dev-shm-usage')


def chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = '/usr/bin/chromium'
    for flag in FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
