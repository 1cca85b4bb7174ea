/* clock_text.c — how the CLI prints a time: local time as
 * YYYY-MM-DD HH:MM:SS, the same in events, logs and monitor lines (the
 * API's own stamps, UTC or seconds since the epoch, stay in --json). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

void cli_clock_text(double epoch, char *out, size_t size)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(out, size, "-");
}

void cli_clock_text_utc(const char *stamp, char *out, size_t size)
{
    struct tm tm = {0};
    char zone = 0;
    /* "2026-12-01T15:04:05.123Z", as the daemon stamps log lines. */
    if (!stamp || sscanf(stamp, "%4d-%2d-%2dT%2d:%2d:%2d%*[.0-9]%c", &tm.tm_year, &tm.tm_mon,
                         &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &zone) != 7 ||
        zone != 'Z') {
        snprintf(out, size, "%s", stamp ? stamp : "-");
        return;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    cli_clock_text((double)timegm(&tm), out, size);
}
