/* script_wait.h — tend.wait (script_wait.c says what it waits for). */
#ifndef TEND_SCRIPT_SCRIPT_WAIT_H
#define TEND_SCRIPT_SCRIPT_WAIT_H

#include <lua.h>

/* tend.wait(NAME, STATE [, {timeout = SECONDS}]) -> the service's status. */
int script_wait(lua_State *L);
/* tend.wait_job(ID [, {timeout = SECONDS}]) -> the job's row once it ended. */
int script_wait_job(lua_State *L);

#endif
