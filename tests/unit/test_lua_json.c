/* Unit tests: Lua values as JSON and back (src/script/lua_json.c). */
/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "script/lua_json.h"

/* The JSON of the value the Lua expression evaluates to, as compact text
 * (a new string), or NULL with err set. */
static char *json_of(const char *expr, char *err, size_t errlen)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_json_push_null(L);
    lua_setglobal(L, "null");
    char code[1024];
    snprintf(code, sizeof(code), "return %s", expr);
    assert_int_equal(luaL_dostring(L, code), LUA_OK);
    json_t *j = lua_json_from(L, -1, "v", err, errlen);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    lua_close(L);
    return text;
}

static void expect(const char *expr, const char *json)
{
    char err[256] = "";
    char *got = json_of(expr, err, sizeof(err));
    if (!got) fail_msg("%s: %s", expr, err);
    assert_string_equal(got, json);
    free(got);
}

static void refused(const char *expr, const char *message)
{
    char err[256] = "";
    char *got = json_of(expr, err, sizeof(err));
    if (got) fail_msg("%s gave %s", expr, got);
    assert_string_equal(err, message);
}

static void test_scalars(void **state)
{
    (void)state;
    expect("true", "true");
    expect("42", "42");
    expect("-7", "-7");
    expect("1.5", "1.5");
    expect("60 / 2", "30"); /* a float with no fraction is the integer */
    expect("'text'", "\"text\"");
    expect("nil", "null");
    expect("null", "null");
}

static void test_lists_objects_and_nesting(void **state)
{
    (void)state;
    expect("{'a', 'b'}", "[\"a\",\"b\"]");
    expect("{}", "[]"); /* an empty table is an empty list */
    expect("{x = 1, y = {z = {1, 2}}}", "{\"x\":1,\"y\":{\"z\":[1,2]}}");
    expect("{'a', null, 'c'}", "[\"a\",null,\"c\"]");
    expect("{[1] = 'a', [2] = 'b'}", "[\"a\",\"b\"]");
}

static void test_what_has_no_json_form_is_named(void **state)
{
    (void)state;
    refused("{1, x = 2}", "'v' mixes list items and named keys");
    refused("{[1] = 1, [3] = 3}", "'v' is a list with holes (nil between its items)");
    refused("{[2.5] = 1}", "'v' has a key that is neither a name nor a list index");
    refused("{[0] = 1}", "'v' has a key that is neither a name nor a list index");
    refused("{f = print}", "'v.f' is a function, which has no JSON form");
    refused("{{1}, {0/0}}", "'v[2][1]' is not a finite number");
    refused("{x = math.huge}", "'v.x' is not a finite number");
    refused("'\\xff'", "'v' is not UTF-8 text");
    refused("{['\\xff'] = 1}", "'v.\xff' is not UTF-8 text");
    refused("(function() local t = {} t.t = t return t end)()",
            "'v.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t."
            "t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t' is nested too deep (a table that "
            "holds itself?)");
}

static void test_json_comes_back_as_lua_values(void **state)
{
    (void)state;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_json_push_null(L);
    lua_setglobal(L, "null");
    json_t *j = json_loads("{\"n\": 3, \"x\": 2.5, \"s\": \"t\", \"b\": false, \"gone\": null,"
                           " \"l\": [1, null, \"z\"], \"o\": {\"k\": true}}",
                           0, NULL);
    assert_non_null(j);
    lua_json_push(L, j);
    json_decref(j);
    lua_setglobal(L, "v");
    assert_int_equal(luaL_dostring(L, "return math.type(v.n) == 'integer' and v.x == 2.5 and "
                                      "v.s == 't' and v.b == false and v.gone == nil and #v.l == 3 "
                                      "and v.l[2] == null and v.l[3] == 'z' and v.o.k == true"),
                     LUA_OK);
    assert_true(lua_toboolean(L, -1));
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_lists_objects_and_nesting),
        cmocka_unit_test(test_what_has_no_json_form_is_named),
        cmocka_unit_test(test_json_comes_back_as_lua_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
