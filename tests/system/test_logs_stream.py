"""GET /logs/SERVICE and `logs --follow`: the last lines, then new ones as
they are printed; a client that reads nothing while a service floods its
log neither slows the daemon nor makes it buffer without end."""
import json
import socket
import subprocess

from daemon import TEND_BIN


def tick_service(d, name='tick'):
    d.call('quick_service.start', {'name': name, 'interpreter': 'sh',
                                   'script': 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done'})
    d.wait_for(lambda: len(d.call('logs.tail', {'name': name})['lines']) >= 3, what='some output')


def test_follow_shows_lines_printed_after_it_started(d):
    tick_service(d)
    follower = subprocess.Popen([TEND_BIN, 'services', 'logs', 'tick', '--follow', '--lines', '1',
                                 '--json'], env=d.env(), stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(follower.stdout.readline())
        later = [json.loads(follower.stdout.readline()) for _ in range(5)]
        numbers = [int(l['text'].split()[1]) for l in [first] + later]
        assert numbers == list(range(numbers[0], numbers[0] + 6))  # in order, none missed
        assert all(l['stream'] == 'out' for l in later)
    finally:
        follower.terminate()
        follower.wait(10)


def test_without_follow_the_stream_ends_after_the_last_lines(d):
    tick_service(d)
    r = d.tend('platform', 'logs', 'tick', '--lines', '2')
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and all(' out tick ' in l for l in lines)
    assert d.tend('platform', 'logs', 'nope').returncode == 1


def test_a_lazy_follower_during_a_flood_costs_nothing(d):
    d.call('quick_service.start', {'name': 'flood', 'exec': ['/usr/bin/yes', 'x' * 100]})
    d.wait_state('flood', 'running')
    lazy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lazy.connect(d.socket)
    lazy.sendall(b'GET /logs/flood?follow=1&lines=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    # The daemon answers on while the follower reads nothing...
    for _ in range(30):
        assert d.call('service.status', {'name': 'flood'})['state'] == 'running'
    # ...and the follower, once it reads, finds it was dropped, not hoarded for.
    lazy.settimeout(10)
    data = b''
    while True:
        chunk = lazy.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    assert b'event: dropped' in data
    assert len(data) < 4 << 20
    lazy.close()
    d.call('service.stop', {'name': 'flood'})
    d.wait_state('flood', 'inactive')
