/* registry_retention.c — how much history tend keeps: the registry's
 * [retention] table and a service's own [services.NAME.retention], read
 * with located errors and written back as JSON in the registry's shape.
 *
 * A service may bound only what is its own (its runs and their jobs);
 * events and jobs of no service are bounded daemon-wide.
 */
#include "config/registry_internal.h"

#include <string.h>

static const char *const registry_keys[] = {"runs",   "jobs_per_run", "standalone_jobs",
                                            "events", "event_days",   NULL};
/* Keys of [retention] a service cannot have. */
static const char *const daemon_wide_keys[] = {"standalone_jobs", "events", "event_days", NULL};

/* At least one run: a service's current run is always kept. Fewer than
 * 100 events would leave `why` and the live views with nothing to say. */
#define MAX_RUNS            100000
#define MAX_JOBS_PER_RUN    1000000
#define MAX_STANDALONE_JOBS 10000000
#define MIN_EVENTS          100
#define MAX_EVENTS          100000000
#define MAX_EVENT_DAYS      36500

static void read_run_keys(reader *rd, const toml_value *t, const char *path, run_retention *out)
{
    read_int(rd, t, path, "runs", 1, MAX_RUNS, &out->runs);
    read_int(rd, t, path, "jobs_per_run", 1, MAX_JOBS_PER_RUN, &out->jobs_per_run);
}

void read_registry_retention(reader *rd, const toml_value *root, retention_spec *out)
{
    *out = (retention_spec){
        .runs = {RETENTION_DEFAULT_RUNS, RETENTION_DEFAULT_JOBS_PER_RUN},
        .standalone_jobs = RETENTION_DEFAULT_STANDALONE_JOBS,
        .events = RETENTION_DEFAULT_EVENTS,
    };
    const toml_value *t = NULL;
    if (read_table(rd, root, "", "retention", &t) != READ_OK) return;
    read_check_keys(rd, t, "retention", registry_keys);
    read_run_keys(rd, t, "retention", &out->runs);
    read_int(rd, t, "retention", "standalone_jobs", 1, MAX_STANDALONE_JOBS, &out->standalone_jobs);
    read_int(rd, t, "retention", "events", MIN_EVENTS, MAX_EVENTS, &out->events);
    read_int(rd, t, "retention", "event_days", 0, MAX_EVENT_DAYS, &out->event_days);
}

void read_service_retention(reader *rd, const toml_value *svc, const char *spath,
                            run_retention *out)
{
    const toml_value *t = NULL;
    if (read_table(rd, svc, spath, "retention", &t) != READ_OK) return;
    char path[512];
    key_path(path, sizeof(path), spath, "retention");
    /* Said plainly rather than "unknown key": these exist, one level up. */
    for (int k = 0; daemon_wide_keys[k]; k++) {
        const toml_entry *e = toml_get_entry(t, daemon_wide_keys[k]);
        if (e)
            read_error(rd, e->key_pos,
                       "'%s.%s': bounded daemon-wide only; set it in the top-level [retention]",
                       path, e->key);
    }
    /* Known keys, for read_check_keys: the daemon-wide ones are reported above. */
    read_check_keys(rd, t, path, registry_keys);
    read_run_keys(rd, t, path, out);
}

run_retention registry_service_retention(const registry *r, const service_spec *s)
{
    run_retention keep = r->retention.runs;
    if (s && s->retention.runs > 0) keep.runs = s->retention.runs;
    if (s && s->retention.jobs_per_run > 0) keep.jobs_per_run = s->retention.jobs_per_run;
    return keep;
}

json_t *retention_spec_to_json(const retention_spec *r)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i}", "runs", r->runs.runs, "jobs_per_run",
                     r->runs.jobs_per_run, "standalone_jobs", r->standalone_jobs, "events",
                     r->events, "event_days", r->event_days);
}

json_t *service_retention_to_json(const run_retention *r)
{
    if (!r->runs && !r->jobs_per_run) return NULL;
    json_t *o = json_object();
    if (r->runs) json_object_set_new(o, "runs", json_integer(r->runs));
    if (r->jobs_per_run) json_object_set_new(o, "jobs_per_run", json_integer(r->jobs_per_run));
    return o;
}
