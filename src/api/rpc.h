/* rpc.h — JSON-RPC 2.0 dispatch, independent of any transport.
 *
 * Single requests, batches and notifications as the specification says:
 * an empty batch is one Invalid Request; a notification gets no response;
 * a batch of notifications gets none at all. Handlers receive params as
 * sent (an object, NULL, or an array for a method that takes them by
 * position) and return a new reference, or NULL with the error filled in. The param_* helpers turn
 * a bad parameter into -32602 with a message that names it.
 */
#ifndef TEND_API_RPC_H
#define TEND_API_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_FAILED = -32000,    /* the method ran and the operation failed */
    RPC_READ_ONLY = -32001, /* the caller's token may not call this method */
};

typedef struct {
    int code;
    char message[512];
    json_t *data; /* optional, owned */
} rpc_error;

typedef json_t *(*rpc_handler)(void *ctx, json_t *params, rpc_error *err);

/* What a method does, for the rights of its caller. Every method of the
 * daemon's table is classified (a unit test walks it); an unclassified
 * one is refused to a read-only caller like one that changes things. */
typedef enum {
    RPC_UNCLASSIFIED = 0,
    RPC_READS,   /* changes nothing: read-only tokens may call it */
    RPC_CHANGES, /* changes what runs or what is stored */
    RPC_ADMIN,   /* manages access itself (token.*): never a read-only token, even to list */
} rpc_access;

typedef struct {
    const char *name;
    rpc_handler fn;
    rpc_access access;
    /* Also takes params by position: an array reaches fn as sent. Else
     * (every tend method) params are named: [] reaches fn as NULL, any
     * other array is refused naming 'params'. */
    bool by_position;
} rpc_method;

typedef struct {
    const rpc_method *methods;
    size_t n_methods;
    void *ctx;
    /* Called (when set) after a body's methods ran and before its answer
     * is made: what they changed is made durable here, so a caller never
     * reads "done" of a change a crash could still take back. */
    void (*settle)(void *ctx);
    /* Called (when set) before a body's methods run with the pid of the
     * process that sent it, as the kernel names its transport's peer (0:
     * none known), and with 0 once they ran. */
    void (*caller)(void *ctx, pid_t pid);
} rpc_dispatcher;

/* Handles one HTTP body. Returns the response text (caller frees), or NULL
 * when nothing is to be sent back. */
char *rpc_handle(const rpc_dispatcher *d, const char *body, size_t len);
/* The same for a caller with a read-only token (named read_only_as; NULL:
 * full rights): a method that is not RPC_READS is refused with
 * RPC_READ_ONLY, naming the method and the token. */
char *rpc_handle_as(const rpc_dispatcher *d, const char *body, size_t len,
                    const char *read_only_as);
/* rpc_handle_as for a body the process pid sent (0: not known), which the
 * dispatcher's caller hook is told of. */
char *rpc_handle_from(const rpc_dispatcher *d, const char *body, size_t len,
                      const char *read_only_as, pid_t pid);

__attribute__((format(printf, 3, 4))) json_t *rpc_fail(rpc_error *err, int code, const char *fmt,
                                                       ...);

/* Parameter helpers: 0 on success (or when an optional one is absent, *out
 * untouched), -1 with err set to -32602 naming the parameter. */
int param_names(json_t *params, const char *const *allowed, rpc_error *err);
int param_string(json_t *params, const char *name, bool required, const char **out, rpc_error *err);
int param_bool(json_t *params, const char *name, bool *out, rpc_error *err);
int param_int(json_t *params, const char *name, bool required, json_int_t min, json_int_t max,
              json_int_t *out, rpc_error *err);
int param_object(json_t *params, const char *name, bool required, json_t **out, rpc_error *err);
/* An optional array of strings: *out a NULL-terminated list to free (its
 * strings borrowed from params). */
int param_strings(json_t *params, const char *name, char ***out, rpc_error *err);

#endif
