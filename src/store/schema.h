/* schema.h — the database schema as a list of migrations (private to store/).
 *
 * Migration i brings a database from PRAGMA user_version i to i + 1, in one
 * transaction. Never edit a released migration; add the next one.
 */
#ifndef TEND_STORE_SCHEMA_H
#define TEND_STORE_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

/* Migrates db up to version target (at most STORE_SCHEMA_VERSION). Returns 0
 * or -1 with a message in err. A database newer than this tend is refused. */
int schema_migrate(sqlite3 *db, int target, char *err, size_t errlen);

#endif
