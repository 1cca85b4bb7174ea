"""The rest of the service and job methods against a real daemon: kill,
why, tree, stats and children from /proc, start_all/stop_all, quick
services, job retry/cancel/delete, events and log search."""
import os
import signal
import time

import pytest

from daemon import RpcError, stand_in

SLEEP = {'deployment': {'mode': 'binary', 'binary': {'binary_path': '/bin/sleep', 'args': ['1000']}}}


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split(') ')[1][0] != 'Z'
    except OSError:
        return False


def setup_two(d):
    d.call('service.set', {'name': 'db', 'spec': SLEEP})
    d.call('service.set', {'name': 'web', 'spec': {'dependencies': ['db'], **SLEEP}})


def test_why_tree_and_is_running(d):
    setup_two(d)
    assert d.call('service.why', {'name': 'web'})['why'] == 'inactive: never started'
    d.call('service.start', {'name': 'web'})
    d.wait_state('web', 'running')
    assert d.call('service.is_running', {'name': 'web'}) == {'name': 'web', 'running': True}
    why = d.call('service.why', {'name': 'web'})
    assert why['why'].startswith('running (since ')
    tree = d.call('service.tree', {'name': 'web'})
    assert tree == {'name': 'web', 'state': 'running',
                    'dependencies': [{'name': 'db', 'state': 'running', 'dependencies': []}]}
    assert [n['name'] for n in d.call('service.tree')] == ['web']
    d.call('service.stop', {'name': 'web'})
    d.wait_state('web', 'inactive')
    assert d.call('service.why', {'name': 'web'})['why'].startswith('inactive: stopped by user')
    with pytest.raises(RpcError):
        d.call('service.why', {'name': 'nope'})


def test_kill_signals_the_process_and_the_policy_restarts_it(d):
    d.call('service.set', {'name': 's', 'spec': SLEEP})
    d.call('service.start', {'name': 's'})
    d.wait_state('s', 'running')
    pid = d.call('service.status', {'name': 's'})['pid']
    assert d.call('service.kill', {'name': 's', 'signal': 'TERM'})['signal'] == 'SIGTERM'
    d.wait_for(lambda: d.call('service.status', {'name': 's'})['pid'] not in (None, pid),
               what='restarted after the kill')
    with pytest.raises(RpcError) as e:
        d.call('service.kill', {'name': 's', 'signal': 'SIGNOPE'})
    assert e.value.code == -32602 and 'signal' in str(e.value)


def test_stats_and_children_come_from_proc(d):
    d.call('service.set', {'name': 'tree', 'spec': {'deployment': {'mode': 'binary', 'binary': {
        'binary_path': '/bin/sh', 'args': ['-c', 'sleep 1000 & sleep 1001; wait']}}}})
    d.call('service.start', {'name': 'tree'})
    d.wait_state('tree', 'running')
    def sleeps():
        procs = d.call('service.children', {'name': 'tree'})['processes']
        # A forked shell is "sh" until it has exec'd sleep, and in the middle
        # of its exec the kernel shows the new name with no arguments yet:
        # wait until both sleeps show their whole command line.
        return sorted(tuple(p['cmdline']) for p in procs if p['name'] == 'sleep') == [
            ('sleep', '1000'), ('sleep', '1001')] and procs
    procs = d.wait_for(sleeps, what='the shell and its two sleeps')
    assert len(procs) == 3
    stats = d.call('service.stats', {'name': 'tree'})
    assert stats['processes'] == 3 and stats['rss_kb'] > 0


def test_start_all_and_stop_all(d, home):
    setup_two(d)
    d.call('service.set', {'name': 'dns', 'spec': {'deployment': {
        'mode': 'binary', 'binary': {'binary_path': str(home / 'no-such-program')}}}})
    results = {r['name']: r for r in d.call('service.start_all')}
    assert results['db']['ok'] and results['web']['ok']
    assert not results['dns']['ok'] and 'binary not found' in results['dns']['message'].lower()
    d.wait_state('web', 'running')
    order = [r['name'] for r in d.call('service.stop_all') if r['ok']]
    assert order.index('web') < order.index('db')  # dependents stop first
    d.wait_state('db', 'inactive')


def test_quick_service_is_one_action_and_one_service(d):
    st = d.call('quick_service.start', {'name': 'quick', 'exec': ['/bin/sleep', '1000']})
    d.wait_state('quick', 'running')
    assert d.call('service.get', {'name': 'quick'})['actions'] == ['quick']
    assert d.call('action.get', {'name': 'quick'})['exec'] == ['/bin/sleep', '1000']
    job = d.call('job.list', {'service_id': 'quick'})[0]
    assert (job['service_id'], job['action_id']) == ('quick', 'quick')
    with pytest.raises(RpcError) as e:
        d.call('quick_service.set', {'name': 'bad', 'exec': 'not a list'})
    assert e.value.code == -32602


def test_job_cancel_retry_delete(d):
    d.call('action.set', {'name': 'nap', 'spec': {'exec': ['/bin/sleep', '1000']}})
    job_id = d.call('job.create', {'action': 'nap'})['id']
    d.wait_for(lambda: d.call('job.get', {'id': job_id})['phase'] == 'running', what='running')
    with pytest.raises(RpcError):
        d.call('job.delete', {'id': job_id})  # still active
    d.call('job.cancel', {'id': job_id})
    d.wait_for(lambda: d.call('job.get', {'id': job_id})['phase'] == 'cancelled', what='cancelled')
    retried = d.call('job.retry', {'id': job_id})['id']
    again = d.wait_for(lambda: (j := d.call('job.get', {'id': retried}))['phase'] == 'running' and j)
    assert again['action_id'] == 'nap' and again['service_id'] is None and again['attempt'] == 2
    d.call('job.cancel', {'id': retried})
    assert d.call('job.delete', {'id': job_id}) == {'id': job_id, 'deleted': True}
    with pytest.raises(RpcError):
        d.call('job.get', {'id': job_id})


def test_retry_of_a_service_job_keeps_its_provenance(d):
    d.call('action.set', {'name': 'once', 'spec': {'interpreter': 'sh', 'script': 'exit 3',
                                                    'kind': 'oneshot'}})
    d.call('service.set', {'name': 'batch', 'spec': {'actions': ['once']}})
    d.call('service.start', {'name': 'batch'})
    d.wait_state('batch', 'failed')
    first = d.call('job.list', {'service_id': 'batch'})[0]
    retry = d.call('job.retry', {'id': first['id']})['id']
    d.wait_for(lambda: d.call('job.get', {'id': retry})['phase'] == 'failed', what='ran again')
    again = d.call('job.get', {'id': retry})
    assert (again['service_id'], again['action_id'], again['run_id']) == \
        ('batch', 'once', first['run_id'])
    assert again['attempt'] == first['attempt'] + 1


def test_events_and_log_search(d):
    d.call('service.set', {'name': 'talk', 'spec': {'deployment': {'mode': 'binary', 'binary': {
        'binary_path': '/bin/sh', 'args': ['-c', 'echo alpha; echo beta; echo alphabet; exec sleep 1000']}}}})
    d.call('service.start', {'name': 'talk'})
    d.wait_state('talk', 'running')
    events = d.call('events.list', {'service': 'talk'})
    kinds = [e['kind'] for e in events]
    assert 'run.created' in kinds and 'job.phase' in kinds
    assert events == sorted(events, key=lambda e: e['id'])
    after = d.call('events.list', {'service': 'talk', 'after_id': events[-1]['id']})
    assert after == []
    found = d.wait_for(lambda: (f := d.call('logs.search', {'name': 'talk', 'query': 'alpha'})['lines'])
                       and len(f) == 2 and f, what='matches')
    assert [l['text'] for l in found] == ['alpha', 'alphabet']
